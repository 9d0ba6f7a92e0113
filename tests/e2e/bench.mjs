// Browser benchmark of the demo portal (run by `cargo xtask bench`, which serves www/ and sets
// TIERMATCH_BASE_URL and TIERMATCH_DEV_SET). Prints a report:
//  - gzipped size (gzip -9) of everything index.html downloads, and of wasm + JS glue + model;
//  - time from navigation start to the first result (cold cache, the subject already filled in);
//  - classify() (with its SOP search) p50/p99 over the dev-set tickets, timed in the page with
//    performance.now() (the server sends COOP/COEP, so timers have 5 µs resolution).
// Budgets (issue 4): page ≤ 300 KB, wasm + glue + model ≤ 200 KB, first result ≤ 150 ms,
// p50 ≤ 0.2 ms, p99 ≤ 1 ms. 1 KB = 1000 bytes.
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { LAUNCH } from './launch.mjs';

const BASE = process.env.TIERMATCH_BASE_URL;
if (!BASE) throw new Error('TIERMATCH_BASE_URL is not set: run with `cargo xtask bench`');
const DEV = process.env.TIERMATCH_DEV_SET;
// 15 cold loads: on a shared 2-core machine single loads swing by ±40 ms, and 7 left the median
// unsteady from run to run.
const LOADS = Number(process.env.TIERMATCH_BENCH_LOADS || 15);
const SUBJECT = 'Outlook keeps asking for my password since this morning';

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const ms = (x) => `${x.toFixed(x < 10 ? 3 : 1)} ms`;
const verdict = (ok) => (ok ? 'ok' : 'OVER BUDGET');
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

function readTickets() {
  const fallback = new URL('../fixtures/parity.jsonl', import.meta.url);
  const path = DEV && existsSync(DEV) ? DEV : fallback;
  const tickets = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let o;
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    const t = {};
    for (const k of ['subject', 'body', 'text']) if (typeof o[k] === 'string') t[k] = o[k];
    if (Object.keys(t).length) tickets.push(t);
  }
  return { tickets, source: path === fallback ? 'tests/fixtures/parity.jsonl (dev set not found)' : 'ata-tier-dev.jsonl' };
}

const browser = await chromium.launch(LAUNCH);
const version = browser.version();

/** One navigation with a cold cache: the downloads and the time to the first result. */
async function coldLoad() {
  const context = await browser.newContext();
  await context.addInitScript((subject) => {
    // Fill the subject as soon as the parser creates it, as a browser restoring a form would.
    new MutationObserver((_, obs) => {
      const s = document.querySelector('[name=subject]');
      if (s) {
        s.value = subject;
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  }, SUBJECT);
  const page = await context.newPage();
  const responses = [];
  page.on('response', (r) => responses.push(r));
  await page.goto(`${BASE}index.html`);
  await page.waitForFunction(() => performance.getEntriesByName('tiermatch:first-result').length > 0, null, {
    timeout: 15000,
  });
  await page.waitForLoadState('networkidle');
  const t = await page.evaluate(() => {
    const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
    return {
      first: mark('tiermatch:first-result'),
      steps: {
        'HTML parsed': performance.getEntriesByType('navigation')[0].domInteractive,
        'loader started': mark('tiermatch:loader-start'),
        'wasm ready': mark('tiermatch:wasm-ready'),
        'model fetched': mark('tiermatch:model-fetched'),
        'model loaded': mark('tiermatch:model-ready'),
        'first result': mark('tiermatch:first-result'),
      },
    };
  });
  const files = [];
  for (const r of responses) {
    const body = await r.body().catch(() => null);
    if (body) files.push({ path: new URL(r.url()).pathname, bytes: body.length, gz: gzipSync(body, { level: 9 }).length });
  }
  // A repeat visit: the cache revalidates (304s) and Chromium reuses its compiled wasm.
  await page.goto(`${BASE}index.html`);
  await page.waitForFunction(() => performance.getEntriesByName('tiermatch:first-result').length > 0, null, {
    timeout: 15000,
  });
  const repeat = await page.evaluate(() => performance.getEntriesByName('tiermatch:first-result')[0].startTime);
  await context.close();
  return { ...t, files, repeat };
}

const loads = [];
for (let i = 0; i < LOADS; i++) loads.push(await coldLoad());
const files = loads[0].files;
const total = files.reduce((a, f) => a + f.gz, 0);
const core = files
  .filter((f) => /\/pkg\/tiermatch_bg\.wasm$|\/pkg\/tiermatch\.js$|\/model\/tiermatch\.model$/.test(f.path))
  .reduce((a, f) => a + f.gz, 0);
const firsts = loads.map((l) => l.first).sort((a, b) => a - b);
const firstMedian = quantile(firsts, 0.5);
const repeats = loads.map((l) => l.repeat).sort((a, b) => a - b);

// classify() over the tickets, in the page
const { tickets, source } = readTickets();
const context = await browser.newContext();
const page = await context.newPage();
await page.goto(`${BASE}index.html`);
const timing = await page.evaluate(async (tickets) => {
  const m = await import(new URL('pkg/tiermatch.js', location.href).href);
  await m.default();
  const bytes = await (await fetch(new URL('model/tiermatch.model', location.href))).arrayBuffer();
  const t0 = performance.now();
  const tm = m.TierMatch.fromBytes(new Uint8Array(bytes));
  const load = performance.now() - t0;
  for (let i = 0; i < Math.min(300, tickets.length * 3); i++) tm.classify(tickets[i % tickets.length]);
  // Five passes over all tickets; each ticket's time is its median over the passes, so a
  // scheduler preemption or a GC pause in one pass does not count as the ticket's cost.
  const PASSES = 5;
  const runs = tickets.map(() => []);
  for (let p = 0; p < PASSES; p++) {
    tickets.forEach((t, i) => {
      const a = performance.now();
      tm.classify(t);
      runs[i].push(performance.now() - a);
    });
  }
  const single = runs.map((r) => r[0]);
  const times = runs.map((r, i) => {
    const t = tickets[i];
    const sorted = [...r].sort((a, b) => a - b);
    return [sorted[PASSES >> 1], (t.subject || '').length + (t.body || '').length + (t.text || '').length];
  });
  // the same work in one batch, for a resolution-free mean
  const b0 = performance.now();
  for (const t of tickets) tm.classify(t);
  const mean = (performance.now() - b0) / tickets.length;
  return { times, single, mean, load, isolated: self.crossOriginIsolated };
}, tickets);
await context.close();
await browser.close();

const byTime = timing.times.sort((a, b) => a[0] - b[0]);
const times = byTime.map((x) => x[0]);
const lengths = byTime.map((x) => x[1]);
const slowest = lengths.slice(Math.floor(lengths.length * 0.99));
const medianLength = [...lengths].sort((a, b) => a - b)[lengths.length >> 1];
const single = timing.single.sort((a, b) => a - b);
const load = existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') : 'n/a';
const p50 = quantile(times, 0.5);
const p99 = quantile(times, 0.99);
const out = [];
out.push(`browser benchmark: headless Chromium ${version}, www/ served on 127.0.0.1 (1 KB = 1000 bytes, gzip -9)`);
out.push('  downloads of index.html (cold cache):');
for (const f of [...files].sort((a, b) => b.gz - a.gz)) {
  out.push(`    ${f.path.padEnd(28)} ${kb(f.bytes).padStart(9)}  ${kb(f.gz).padStart(9)} gz`);
}
out.push(`  everything the page downloads: ${kb(total)} gz (budget 300 KB) ${verdict(total <= 300_000)}`);
out.push(`  wasm + JS glue + model:        ${kb(core)} gz (budget 200 KB) ${verdict(core <= 200_000)}`);
out.push(
  `  first result after navigation start: median ${ms(firstMedian)}, best ${ms(firsts[0])}, worst ${ms(firsts.at(-1))} over ${LOADS} cold loads (budget 150 ms) ${verdict(firstMedian <= 150)}`,
);
const steps = Object.keys(loads[0].steps)
  .map((k) => `${k} ${quantile(loads.map((l) => l.steps[k]).sort((a, b) => a - b), 0.5).toFixed(0)}`)
  .join(', ');
out.push(`    (medians, ms after navigation start: ${steps})`);
out.push(
  `  first result on a repeat visit (cache revalidated): median ${ms(quantile(repeats, 0.5))}, best ${ms(repeats[0])}, worst ${ms(repeats.at(-1))}`,
);
out.push(`  model load (TierMatch.fromBytes) in a warm page: ${ms(timing.load)}`);
out.push(
  `  classify() with SOP search over ${times.length} tickets of ${source}: p50 ${ms(p50)} (budget 0.2 ms) ${verdict(p50 <= 0.2)}, ` +
    `p99 ${ms(p99)} (budget 1 ms) ${verdict(p99 <= 1)}, max ${ms(times.at(-1))}, mean ${ms(timing.mean)}` +
    `${timing.isolated ? '' : ' (timer not cross-origin isolated: 100 µs resolution)'}`,
);
out.push(
  `    (each ticket's median of 5 runs; single runs: p50 ${ms(quantile(single, 0.5))}, p99 ${ms(quantile(single, 0.99))}, max ${ms(single.at(-1))})`,
);
out.push(
  `    (ticket length: median ${medianLength} characters; the slowest 1% are ${slowest.join(', ')} characters long)`,
);
out.push(`  load average during the run: ${load} (2 cores; other work on the machine slows every figure)`);
console.log(out.join('\n'));
