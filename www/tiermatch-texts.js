// The suggestion panel's texts in the page's language. The panel (src/wasm/panel.rs) draws them in
// English; a page in another language gets them replaced after each drawing, so the WASM module
// carries one set of strings. English and German are built in; a page adds or overrides any.

/** The built-in texts, by language. `confident` takes the whole percentage. */
export const TEXTS = {
  en: {
    label: 'Suggestions',
    hintClient: 'Suggestions appear here as you describe the problem.',
    hintStaff: 'Tier, confidence and matching SOPs appear here as the ticket is typed.',
    noArticle: 'No self-help article fits yet. Describe the problem and submit: our team will pick it up.',
    tryFirst: 'Try this first',
    why: 'Why',
    matchingSops: 'Matching SOPs',
    suggestedTier: 'Suggested tier',
    overriddenTo: 'overridden to',
    unsure: 'Not sure: a person should triage this ticket.',
    confident: (n) => `${n}% confident`,
    unavailable: 'Suggestions are unavailable right now. You can still submit your ticket as usual.',
    noteTier: 'Suggested tier',
    noteArticle: 'Suggested article',
  },
  de: {
    label: 'Vorschläge',
    hintClient: 'Hier erscheinen Vorschläge, während Sie das Problem beschreiben.',
    hintStaff: 'Stufe, Sicherheit und passende SOPs erscheinen hier, während das Ticket geschrieben wird.',
    noArticle: 'Noch passt kein Hilfeartikel. Beschreiben Sie das Problem und senden Sie es ab: unser Team kümmert sich darum.',
    tryFirst: 'Versuchen Sie zuerst',
    why: 'Warum',
    matchingSops: 'Passende SOPs',
    suggestedTier: 'Vorgeschlagene Stufe',
    overriddenTo: 'geändert auf',
    unsure: 'Unsicher: Eine Person sollte dieses Ticket einstufen.',
    confident: (n) => `${n} % sicher`,
    unavailable: 'Vorschläge sind gerade nicht verfügbar. Sie können Ihr Ticket trotzdem wie gewohnt absenden.',
    noteTier: 'Vorgeschlagene Stufe',
    noteArticle: 'Vorgeschlagener Artikel',
  },
};

/** The texts for `el`'s language (its nearest `lang`, else the page's), with `overrides` on top. */
export function textsFor(el, overrides = {}) {
  const lang = (el.closest('[lang]')?.lang || document.documentElement.lang || 'en').toLowerCase();
  const base = TEXTS[lang] || TEXTS[lang.split('-')[0]] || TEXTS.en;
  return { ...TEXTS.en, ...base, ...overrides };
}

// The English text the panel draws → the key of its replacement.
const KEYS = new Map(
  Object.entries(TEXTS.en)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => [v, k]),
);

/** Replaces the panel's texts with `t`'s: those it drew in English, and those replaced before
 * (each remembers its key in `data-tm-text`). */
export function localize(panel, t) {
  if (panel.getAttribute('aria-label') === TEXTS.en.label || 'tmLabel' in panel.dataset) {
    panel.dataset.tmLabel = '';
    panel.setAttribute('aria-label', t.label);
  }
  for (const el of panel.querySelectorAll('.tm-hint, .tm-subhead, .tm-abstain, .tm-label, .tm-confidence')) {
    const n = el.dataset.tmPercent ?? /^(\d+)% confident$/.exec(el.textContent)?.[1];
    const key = n !== undefined ? 'confident' : el.dataset.tmText || KEYS.get(el.textContent);
    if (!key) continue;
    el.dataset.tmText = key;
    if (n !== undefined) el.dataset.tmPercent = n;
    const text = key === 'confident' ? t.confident(Number(n)) : t[key];
    if (el.textContent !== text) el.textContent = text;
  }
}
