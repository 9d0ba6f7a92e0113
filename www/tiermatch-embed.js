// Drop-in for an existing portal. Add to the page with the ticket form:
//
//   <link rel="stylesheet" href="/tiermatch/tiermatch.css">
//   <script type="module" src="/tiermatch/tiermatch-embed.js"
//           data-tiermatch-form="#ticket-form" data-tiermatch-mode="client"></script>
//
// Optional attributes: data-tiermatch-panel (selector of the panel element), data-tiermatch-model
// (URL of the model file, default model/tiermatch.model beside this script),
// data-tiermatch-model-integrity (the model's Subresource Integrity, `sha384-…` as
// `cargo xtask build-web` prints it: a model with other contents is refused),
// data-tiermatch-subject / data-tiermatch-body (selectors of the fields inside the form; a
// rich-text editor standing in for the description is followed), data-tiermatch-tier-field /
// data-tiermatch-confidence-field (names of the form fields that receive the suggested tier and its
// confidence, default suggested_tier / suggested_tier_confidence, created hidden when missing),
// data-tiermatch-triage-note (on submit, append "Suggested tier: … · Suggested article: …" to the
// description, for portals that cannot take extra fields). The panel's texts follow the page's
// lang (English, German).
import { attach } from './pkg/tiermatch.js';
import { loadTierMatch } from './tiermatch-loader.js';
import { addTriageNote } from './tiermatch-note.js';
import { localize, textsFor } from './tiermatch-texts.js';

const here = new URL(import.meta.url).href;
const scripts = [...document.querySelectorAll('script[type=module][src]')].filter(
  (s) => s.src === here,
);
const configs = scripts.length > 0 ? scripts.map((s) => s.dataset) : [{}];

const forms = configs
  .map((c) => [c, document.querySelector(c.tiermatchForm || 'form')])
  .filter(([c, form]) => {
    if (!(form instanceof HTMLFormElement)) {
      console.warn(`tiermatch: no form matches ${c.tiermatchForm || 'form'}; nothing to attach to.`);
      return false;
    }
    return true;
  });

if (forms.length > 0) {
  const modelUrl = configs[0].tiermatchModel || new URL('./model/tiermatch.model', import.meta.url);
  const tm = await loadTierMatch(modelUrl, configs[0].tiermatchModelIntegrity || undefined);
  if (tm) {
    for (const [c, form] of forms) {
      const options = { model: tm, mode: c.tiermatchMode || 'client' };
      if (c.tiermatchPanel) options.panel = c.tiermatchPanel;
      if (c.tiermatchSubject) options.subject = c.tiermatchSubject;
      if (c.tiermatchBody) options.body = c.tiermatchBody;
      if (c.tiermatchTierField) options.tierField = c.tiermatchTierField;
      if (c.tiermatchConfidenceField) options.confidenceField = c.tiermatchConfidenceField;
      const attachment = attach(form, options);
      const t = textsFor(form);
      const panel = options.panel
        ? document.querySelector(options.panel)
        : form.querySelector('[data-tiermatch-panel]');
      if (panel) {
        localize(panel, t);
        form.addEventListener('tiermatch:result', () => localize(panel, t));
      }
      if ('tiermatchTriageNote' in c) {
        const body = form.querySelector(options.body || '[name=description], [name=body]');
        if (body) addTriageNote(form, body, attachment, t, options.mode);
      }
    }
  }
}
