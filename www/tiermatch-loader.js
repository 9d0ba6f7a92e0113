// Loads the tiermatch WASM module and a model file. Shared by the demo pages and the embed script.
//
// On any failure (module or model missing, corrupt model) it logs exactly one console.error that
// says what happened, and returns null: the page's form keeps working without suggestions.
import init, { TierMatch, crateVersion } from './pkg/tiermatch.js';

const DEFAULT_MODEL = new URL('./model/tiermatch.model', import.meta.url);

/**
 * The model integrity a page names on a script element (`data-tiermatch-model-integrity`, which
 * `cargo xtask build-web` sets to the model's Subresource Integrity), or undefined.
 * @param {string} [selector] the script element (default: the first that names one)
 */
export function namedIntegrity(selector = 'script[data-tiermatch-model-integrity]') {
  return document.querySelector(selector)?.dataset.tiermatchModelIntegrity || undefined;
}

/**
 * @param {string | URL} [modelUrl] the model file (default: model/tiermatch.model beside this file)
 * @param {string} [integrity] the model's Subresource Integrity (`sha384-…`): a model with other
 *   contents is refused
 * @returns {Promise<TierMatch | null>}
 */
export async function loadTierMatch(modelUrl = DEFAULT_MODEL, integrity = undefined) {
  performance.mark('tiermatch:loader-start');
  const url = new URL(modelUrl, document.baseURI);
  try {
    // Fetch the model while the module compiles.
    const [response] = await Promise.all([
      fetch(url, integrity ? { integrity } : undefined).catch((e) => {
        // the browser names a digest mismatch only in its own console line; say it in ours
        throw integrity
          ? new Error(`its contents do not match the integrity the page names (${integrity}), or it could not be fetched (${e.message})`)
          : e;
      }),
      init().then(() => performance.mark('tiermatch:wasm-ready')),
    ]);
    if (!response.ok) {
      throw new Error(`the server answered ${response.status} ${response.statusText}`.trim());
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    performance.mark('tiermatch:model-fetched');
    const tm = TierMatch.fromBytes(bytes);
    performance.mark('tiermatch:model-ready');
    // Two short strings, not the whole `tm.version` object: its first call costs 1-3 ms of a cold load.
    const written = tm.modelCrateVersion;
    const running = crateVersion();
    if (written !== running) {
      console.warn(
        `tiermatch: the model file ${url.pathname} was written by tiermatch ${written}, ` +
          `this page runs tiermatch ${running}: rebuild the page or retrain the model so they match.`,
      );
    }
    return tm;
  } catch (e) {
    console.error(
      `tiermatch: suggestions are off because the model ${url.pathname} could not be loaded: ` +
        `${e && e.message ? e.message : e}. The form still works and submits without them.`,
    );
    return null;
  }
}
