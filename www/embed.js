// The embedding page's own code: the "Copy the lines" button.
const button = document.getElementById('copy-snippet');
const status = document.getElementById('copy-status');
button.addEventListener('click', async () => {
  const text = document.getElementById('snippet').textContent;
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied.';
  } catch {
    const range = document.createRange();
    range.selectNodeContents(document.getElementById('snippet'));
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    status.textContent = 'Selected: press Ctrl+C to copy.';
  }
});
