// The L1 triage view: paste or pick tickets, see tier, confidence, reasons and SOPs, override the
// tier, export the overrides as CSV for retraining. The suggestion panel is tiermatch's own
// (renderPanel); all text is rendered with textContent.
import { attach } from './pkg/tiermatch.js';
import { loadTierMatch, namedIntegrity } from './tiermatch-loader.js';
import { SAMPLES } from './samples.js';
import { OVERRIDE_HEADER, toCsv } from './csv.js';

const STORE = 'tiermatch-staff-queue-v1';
const $ = (id) => document.getElementById(id);
const form = $('triage-form');
const tbody = $('queue').querySelector('tbody');

/** @type {{id: string, subject: string, body: string, override: string}[]} */
let queue = restore();
let selectedId = null;
let seq = 0;
const results = new Map();

const tm = await loadTierMatch(undefined, namedIntegrity());
const labels = tm ? tm.labels : ['L1', 'L2', 'L3'];
if (tm) {
  const v = tm.version;
  $('model-status').textContent =
    `Model: ${v.labels.join(' / ')}, ${v.meta.algorithm || 'linear'}, trained ${v.meta.date || 'n/a'} on ` +
    `${v.meta.rows} tickets, ${v.sopCount} SOPs; tiermatch ${v.crateVersion}.`;
  attach(form, { model: tm, mode: 'staff', panel: '#triage-panel' });
} else {
  $('model-status').textContent = 'The model could not be loaded: suggestions are off, the queue still works.';
}

function restore() {
  try {
    const q = JSON.parse(localStorage.getItem(STORE) || '[]');
    return Array.isArray(q) ? q.filter((t) => t && typeof t.id === 'string') : [];
  } catch {
    return [];
  }
}

function save() {
  try {
    localStorage.setItem(STORE, JSON.stringify(queue));
  } catch {
    /* private mode or full: the queue lives in memory only */
  }
}

function newId() {
  seq += 1;
  return `T-${Date.now().toString(36)}-${seq}`;
}

function result(t) {
  if (!tm) return null;
  if (!results.has(t.id)) results.set(t.id, tm.classify({ subject: t.subject, body: t.body }));
  return results.get(t.id);
}

function el(tag, props = {}, text) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  if (text !== undefined) e.textContent = text;
  return e;
}

function add(tickets) {
  for (const t of tickets) {
    const subject = String(t.subject ?? '').trim();
    const body = String(t.body ?? t.text ?? '').trim();
    if (!subject && !body) continue;
    let id = t.id ? String(t.id) : newId();
    if (queue.some((q) => q.id === id)) id = `${id}-${newId()}`;
    queue.push({ id, subject, body, override: '' });
    selectedId = id;
  }
  save();
  render();
}

function tierBadge(tier) {
  const b = el('span', { className: 'tm-badge' }, tier);
  b.dataset.tier = tier;
  return b;
}

function render() {
  tbody.replaceChildren();
  for (const t of queue) {
    const r = result(t);
    const tr = el('tr');
    tr.dataset.id = t.id;
    if (t.override) tr.classList.add('overridden');
    if (t.id === selectedId) tr.classList.add('selected');
    const subject = el('td', { className: 'subject' });
    subject.append(el('button', { type: 'button', className: 'link', title: t.subject || t.body }, t.subject || t.body));
    const suggested = el('td');
    const confidence = el('td');
    if (r) {
      suggested.append(tierBadge(r.tier));
      confidence.textContent = `${Math.round(r.confidence * 100)}%${r.abstain ? ' · unsure' : ''}`;
    } else {
      suggested.textContent = '–';
    }
    const over = el('td');
    const select = el('select', { className: 'override' });
    select.setAttribute('aria-label', `Override tier of ${t.subject || t.body}`.slice(0, 120));
    select.append(el('option', { value: '' }, r ? `keep ${r.tier}` : '—'));
    for (const l of labels) select.append(el('option', { value: l }, l));
    select.value = t.override || '';
    select.addEventListener('change', () => {
      t.override = select.value;
      save();
      render();
    });
    over.append(select);
    tr.append(subject, suggested, confidence, over);
    tr.addEventListener('click', (e) => {
      if (e.target instanceof HTMLSelectElement || e.target instanceof HTMLOptionElement) return;
      selectedId = t.id;
      render();
    });
    tbody.append(tr);
  }
  $('queue-empty').hidden = queue.length > 0;
  const n = queue.filter((t) => t.override).length;
  $('override-count').textContent = `${n} override${n === 1 ? '' : 's'}`;
  $('export-csv').disabled = n === 0;
  renderDetail();
}

function renderDetail() {
  const t = queue.find((q) => q.id === selectedId);
  $('detail').hidden = !t;
  if (!t) return;
  const r = result(t);
  $('detail-subject').textContent = t.subject || '(no subject)';
  $('detail-body').textContent = t.body || '(no description)';
  const scores = $('detail-scores');
  scores.replaceChildren();
  const panel = $('detail-panel');
  if (!r) {
    panel.replaceChildren();
    return;
  }
  for (const [label, p] of Object.entries(r.scores)) {
    scores.append(el('span', {}, `${label} ${Math.round(p * 100)}%`));
  }
  tm.renderPanel(panel, { subject: t.subject, body: t.body }, { mode: 'staff', overriddenTo: t.override });
}

function exportCsv() {
  const rows = [OVERRIDE_HEADER];
  for (const t of queue.filter((q) => q.override)) {
    const r = result(t);
    rows.push([t.id, t.subject, t.body, t.override, r ? r.tier : '', r ? r.confidence : '']);
  }
  const csv = toCsv(rows);
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = el('a', { href: url, download: 'tiermatch-overrides.csv' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function importText(text) {
  const tickets = [];
  for (const line of text.split(/\r?\n/)) {
    const s = line.trim();
    if (!s) continue;
    if (s.startsWith('{')) {
      try {
        const o = JSON.parse(s);
        if (o && typeof o === 'object') {
          tickets.push(o);
          continue;
        }
      } catch {
        /* not JSON: take the line as text */
      }
    }
    tickets.push({ subject: s });
  }
  add(tickets);
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  add([{ subject: form.elements.subject.value, body: form.elements.description.value }]);
  form.reset(); // the widget notices the reset and clears its panel
});
$('import-button').addEventListener('click', () => {
  importText($('import-text').value);
  $('import-text').value = '';
});
$('load-samples').addEventListener('click', () => add(SAMPLES.filter((s) => !queue.some((q) => q.id === s.id))));
$('clear-queue').addEventListener('click', () => {
  queue = [];
  selectedId = null;
  save();
  render();
});
$('export-csv').addEventListener('click', exportCsv);
render();
