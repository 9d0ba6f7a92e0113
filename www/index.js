// The demo client portal: wires the intake form to tiermatch in client mode.
import { attach } from './pkg/tiermatch.js';
import { loadTierMatch } from './tiermatch-loader.js';

const form = document.getElementById('ticket-form');
const panel = document.getElementById('suggestions');

const tm = await loadTierMatch();
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
