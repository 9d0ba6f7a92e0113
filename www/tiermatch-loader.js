// Loads the tiermatch WASM module and a model file. Shared by the demo pages and the embed script.
//
// On any failure (module or model missing, corrupt model) it logs exactly one console.error that
// says what happened, and returns null: the page's form keeps working without suggestions.
import init, { TierMatch, crateVersion } from './pkg/tiermatch.js';

const DEFAULT_MODEL = new URL('./model/tiermatch.model', import.meta.url);

/**
 * @param {string | URL} [modelUrl] the model file (default: model/tiermatch.model beside this file)
 * @returns {Promise<TierMatch | null>}
 */
export async function loadTierMatch(modelUrl = DEFAULT_MODEL) {
  performance.mark('tiermatch:loader-start');
  const url = new URL(modelUrl, document.baseURI);
  try {
    // Fetch the model while the module compiles.
    const [response] = await Promise.all([
      fetch(url),
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
