/** `<tiermatch-suggestions form="#ticket-form">`: the suggestion panel, wired to a form. */
export declare class TierMatchSuggestions extends HTMLElement {
  /** The panel's texts (the page's language, English or German, with overrides on top); setting
   * it overrides any of them, e.g. `{ tryFirst: 'Schon probiert?' }`. */
  get texts(): TierMatchTexts;
  set texts(overrides: Partial<TierMatchTexts>);
  /** attach()'s handle once the form is wired, else null. */
  get attachment(): { refresh(): void; detach(): void } | null;
}

/** Every text the panel and the triage note show. */
export interface TierMatchTexts {
  label: string; hintClient: string; hintStaff: string; noArticle: string; tryFirst: string;
  why: string; matchingSops: string; suggestedTier: string; overriddenTo: string; unsure: string;
  confident: (percent: number) => string; unavailable: string; noteTier: string; noteArticle: string;
}

declare global {
  interface HTMLElementTagNameMap {
    'tiermatch-suggestions': TierMatchSuggestions;
  }
}
