// <tiermatch-suggestions>: the one-line embed. The element is the suggestion panel (light DOM, so
// the page's stylesheet and the --tm-* custom properties of tiermatch.css style it), wired to a
// form with attach():
//
//   <link rel="stylesheet" href="/tiermatch/tiermatch.css">
//   <script type="module" src="/tiermatch/tiermatch-element.js"></script>
//   <tiermatch-suggestions form="#ticket-form"></tiermatch-suggestions>
//
// Attributes: form (selector; default the enclosing form), mode (client | staff), subject, body
// (selectors in the form), tier-field, confidence-field (field names), model, model-integrity,
// triage-note (on submit, append "Suggested tier: … · Suggested article: …" to the description).
// Texts follow the page's lang (English, German); `element.texts = {...}` overrides any of them.
import { attach } from './pkg/tiermatch.js';
import { loadTierMatch } from './tiermatch-loader.js';
import { addTriageNote } from './tiermatch-note.js';
import { localize, textsFor } from './tiermatch-texts.js';

const models = new Map(); // model URL → Promise<TierMatch | null>, one load for every element

function model(url, integrity) {
  const key = String(url);
  if (!models.has(key)) models.set(key, loadTierMatch(url, integrity));
  return models.get(key);
}

export class TierMatchSuggestions extends HTMLElement {
  #texts = {};
  #attachment = null;

  /** Texts to use instead of the built-in ones (keys of TEXTS.en in tiermatch-texts.js). */
  get texts() {
    return textsFor(this, this.#texts);
  }

  set texts(overrides) {
    this.#texts = { ...overrides };
    localize(this, this.texts);
  }

  /** attach()'s handle once wired, else null. */
  get attachment() {
    return this.#attachment;
  }

  async connectedCallback() {
    if (this.#attachment || this.dataset.state) return;
    this.dataset.state = 'loading';
    const sel = this.getAttribute('form');
    const form = sel ? document.querySelector(sel) : this.closest('form');
    if (!(form instanceof HTMLFormElement)) {
      console.warn(`tiermatch: <tiermatch-suggestions> finds no form ${sel ?? '(none encloses it)'}; nothing to attach to.`);
      this.dataset.state = 'no-form';
      return;
    }
    const url = this.getAttribute('model') || new URL('./model/tiermatch.model', import.meta.url);
    const tm = await model(url, this.getAttribute('model-integrity') || undefined);
    const t = this.texts;
    if (!tm) {
      this.classList.add('tm-panel', 'tm-off');
      const p = document.createElement('p');
      p.className = 'tm-hint';
      p.textContent = t.unavailable;
      this.replaceChildren(p);
      this.dataset.state = 'off';
      return;
    }
    const options = { model: tm, panel: this, mode: this.getAttribute('mode') || 'client' };
    for (const [attr, key] of [
      ['subject', 'subject'],
      ['body', 'body'],
      ['tier-field', 'tierField'],
      ['confidence-field', 'confidenceField'],
    ]) {
      if (this.hasAttribute(attr)) options[key] = this.getAttribute(attr);
    }
    form.addEventListener('tiermatch:result', () => localize(this, this.texts));
    this.#attachment = attach(form, options);
    localize(this, this.texts);
    if (this.hasAttribute('triage-note')) {
      const body = form.querySelector(options.body || '[name=description], [name=body]');
      if (body) addTriageNote(form, body, this.#attachment, t, options.mode);
    }
    this.dataset.state = 'ready';
  }
}

if (!customElements.get('tiermatch-suggestions')) {
  customElements.define('tiermatch-suggestions', TierMatchSuggestions);
}
