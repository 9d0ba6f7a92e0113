// The opt-in triage note, for portals that cannot take extra fields: when the form is submitted,
// and only then, a short block is appended to the description ("Suggested tier: L2 (84%) ·
// Suggested article: …"). It follows a CKEditor 4 standing in for the description (the editor
// writes its content into the field on submit, after this runs); for a plain field it appends text.

/** The note for a classification (`null` when there is none); a client's note names only
 * client-facing articles, as the client panel shows them. */
export function noteText(result, t, mode = 'client') {
  if (!result) return null;
  const parts = [`${t.noteTier}: ${result.tier} (${Math.round(result.confidence * 100)}%)`];
  const first = (result.sops ?? []).find((s) => mode === 'staff' || s.audience === 'client');
  if (first) parts.push(`${t.noteArticle}: ${first.title}`);
  return parts.join(' · ');
}

function editorOf(field) {
  const ck = globalThis.CKEDITOR;
  return ck?.instances && Object.values(ck.instances).find((e) => e.element?.$ === field && e.status === 'ready');
}

/**
 * Appends the note to `field` (the form's description) each time `form` is submitted.
 * @param {HTMLFormElement} form
 * @param {Element} field
 * @param {{ refresh(): void }} attachment attach()'s handle: refreshed first, so the note is current
 * @param {object} t the texts (tiermatch-texts.js)
 * @param {'client' | 'staff'} mode whose panel the form shows
 */
export function addTriageNote(form, field, attachment, t, mode) {
  let result = null;
  let added = null; // what the last submit appended, taken out again if the form is submitted twice
  form.addEventListener('tiermatch:result', (e) => {
    result = e.detail;
  });
  // Capture on the document: before the form's own submit listeners (the editor's among them).
  document.addEventListener(
    'submit',
    (e) => {
      if (e.target !== form) return;
      if (added?.remove) added.remove();
      else if (typeof added === 'string' && field.value.endsWith(added)) field.value = field.value.slice(0, -added.length);
      added = null;
      attachment.refresh();
      const note = noteText(result, t, mode);
      const editor = editorOf(field);
      if (!note) return;
      if (editor && editor.mode === 'wysiwyg') {
        const p = editor.document.createElement('p').$;
        p.textContent = note;
        editor.editable().$.append(p);
        added = p;
      } else if (field.isContentEditable) {
        const p = document.createElement('p');
        p.textContent = note;
        field.append(p);
        added = p;
      } else {
        added = `${field.value.trim() ? '\n\n' : ''}${note}`;
        field.value += added;
      }
    },
    true,
  );
}
