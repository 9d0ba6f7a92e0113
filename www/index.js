// The demo client portal: wires the intake form to tiermatch in client mode.
//
// Loaded with `async`: the WASM module and the model start loading while the page is still being
// parsed, and the form is looked up once the document is complete.
import { attach } from './pkg/tiermatch.js';
import { loadTierMatch, namedIntegrity } from './tiermatch-loader.js';

const loading = loadTierMatch(undefined, namedIntegrity());
if (document.readyState === 'loading') {
  await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
}
const form = document.getElementById('ticket-form');
const panel = document.getElementById('suggestions');

const tm = await loading;
if (tm) {
  attach(form, { model: tm, mode: 'client', panel });
} else {
  panel.classList.add('tm-off');
  panel.replaceChildren();
  const p = document.createElement('p');
  p.className = 'tm-hint';
  p.textContent = 'Suggestions are unavailable right now. You can still submit your ticket as usual.';
  panel.append(p);
}
