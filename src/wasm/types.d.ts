/** A ticket: `subject` and `body` (or `text`), and an optional `id` that the answer echoes. */
export interface Ticket { id?: string; subject?: string; body?: string; text?: string; }
/** One matching SOP. */
export interface SopMatch {
  id: string; title: string; score: number; tier: string;
  audience: "client" | "staff"; url?: string;
  /** How likely it fits (0..1), when the model learned it from labelled tickets. */
  relevance?: number;
}
/** One SOP of the model's library. */
export interface Sop {
  id: string; title: string; tier: string; audience: "client" | "staff";
  keywords: string[]; url: string | null; summary: string;
  /** Word stems typical of the tickets that use it, learned from labelled tickets. */
  learned: string[];
}
/** The answer: the same fields as a line of `tiermatch classify --jsonl`. */
export interface Classification {
  id?: string; tier: string; confidence: number; scores: Record<string, number>;
  abstain: boolean; reasons: string[]; sops: SopMatch[];
}
/** How and from what the model was trained. */
export interface TrainMeta {
  corpus_hash: string; rows: number; date: string; command: string; algorithm: string;
  cv_accuracy: number; cv_macro_f1: number;
}
/** Versions of this package and of the loaded model file. */
export interface VersionInfo {
  crateVersion: string; formatVersion: number; modelCrateVersion: string;
  labels: string[]; sopCount: number; meta: TrainMeta;
}
/** Options of `renderPanel()`. */
export interface PanelOptions {
  /** "client" (default): matching self-help SOPs with their summaries; "staff": tier, confidence, abstain, reasons and matching SOPs. */
  mode?: "client" | "staff";
  /** The tier a person chose instead of the suggestion (`""`: none): shown next to it, and set as the panel's `data-tier`. */
  overriddenTo?: string;
}
/** Options of `attach()`. Every field is optional except `model` for the free function. */
export interface AttachOptions {
  model?: TierMatch;
  /** "client" (default): matching self-help SOPs; "staff": also tier, confidence, abstain, reasons. */
  mode?: "client" | "staff";
  /** The panel element, or a selector for it. Default: `[data-tiermatch-panel]` in the form, else a new one after the description. */
  panel?: Element | string;
  /** Selector of the subject field in the form. Default `[name=subject]`. */
  subject?: string;
  /** Selector of the description field in the form. Default `[name=description]`, else `[name=body]`.
   * A CKEditor 4 standing in for a textarea is followed, as is a contenteditable element named here. */
  body?: string;
  /** Name of the form field that receives the suggested tier (created hidden when missing). Default `suggested_tier`. */
  tierField?: string;
  /** Name of the form field that receives the confidence, `0.0000`–`1.0000`. Default `suggested_tier_confidence`. */
  confidenceField?: string;
  /** Quiet time after the last keystroke before classifying, in ms. Default 150. */
  debounceMs?: number;
  /** How many SOPs the panel lists. Default 3. */
  maxSops?: number;
}
