// attach()'s reader of a rich-text editor standing in for a field (see richtext.rs): CKEditor 4
// (a hidden textarea, an iframe editor in CKEDITOR.instances), or a contenteditable field.
const text = (el) => el.innerText.replace(/\u00a0/g, ' ');

export function followRichText(field, onChange) {
  if (field.isContentEditable) {
    const o = new MutationObserver(() => onChange());
    o.observe(field, { childList: true, characterData: true, subtree: true });
    return { text: () => text(field), stop: () => o.disconnect() };
  }
  const ck = globalThis.CKEDITOR;
  if (!ck?.instances || field.localName !== 'textarea') return null;
  let editor = null;
  const off = [];
  const hook = (e) => {
    editor = e;
    off.push(e.on('change', () => onChange()));
    // the editor's box follows the field: a panel placed after the field moves below the box
    const box = e.container?.$, next = field.nextElementSibling;
    if (box && next !== box && next?.hasAttribute('data-tiermatch-panel')) box.after(next);
    onChange();
  };
  const mine = (e) => e?.element?.$ === field;
  const ready = Object.values(ck.instances).find((e) => mine(e) && e.status === 'ready');
  if (ready) hook(ready);
  else off.push(ck.on('instanceReady', (ev) => !editor && mine(ev.editor) && hook(ev.editor)));
  return {
    text: () =>
      !editor ? field.value
      : editor.mode === 'wysiwyg' ? text(editor.editable().$)
      : new DOMParser().parseFromString(editor.getData(), 'text/html').body.textContent,
    stop: () => off.splice(0).forEach((l) => l.removeListener()),
  };
}
