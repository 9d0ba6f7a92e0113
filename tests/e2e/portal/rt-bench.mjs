// What tiermatch costs on a real page: Request Tracker's self-service create page with and without
// tiermatch's lines, loaded cold (a fresh browser context each time), alternating, in one run.
// Run by `cargo xtask bench`, which starts a throw-away RT with the extension (TIERMATCH_RT_URL).
//
// Both variants are served through the same route: the page as RT renders it, or with the
// extension's lines (its <link> and <script>) taken out. For each load:
//  - the load event (navigation timing loadEventStart, ms after navigation start);
//  - keystroke response: eight characters typed into the subject 250 ms apart (so each one's
//    debounced classification runs before the next), each timed from its keydown to the next
//    animation frame;
//  - the page's main-thread tasks, from a Chromium trace: the longest of all, and the longest
//    tiermatch causes (a task running tiermatch's code, from /static/tiermatch/, or holding one of
//    its performance marks).
// The trace is recorded in both variants, so its overhead is in both.
import { chromium } from 'playwright-core';
import { LAUNCH } from '../launch.mjs';

const RT = process.env.TIERMATCH_RT_URL;
if (!RT) throw new Error('TIERMATCH_RT_URL is not set: run with `cargo xtask bench`');
const PAIRS = Number(process.env.TIERMATCH_BENCH_PAIRS || 10);
const CLIENT = { user: 'maria.keller', pass: 'tiermatch-client-1' };
const PAGE = `${RT}/SelfService/Create.html?Queue=1`;
const KEYS = 'Printer!';
const CATEGORIES = [
  '__metadata',
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'blink.user_timing',
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(1)} ms`;

/** The extension's lines taken out of RT's page. */
function withoutTiermatch(html) {
  const out = html
    .replace(/<link rel="stylesheet" href="[^"]*\/static\/tiermatch\/[^"]*">\s*/g, '')
    .replace(/<style>\s*\.edit-custom-field:has[^<]*<\/style>\s*/g, '')
    .replace(/<script type="module" src="[^"]*\/static\/tiermatch\/[^"]*"[^>]*><\/script>\s*/g, '');
  if (out.includes('/static/tiermatch/')) throw new Error('the tiermatch lines were not all taken out');
  return out;
}

const url = (e) => {
  const d = e.args?.data ?? e.args?.beginData ?? {};
  return d.url || d.scriptName || '';
};

/** The page's main-thread tasks (ms) from a trace: all, and those tiermatch causes. */
function tasks(events) {
  const parse = events.find((e) => e.name === 'ParseHTML' && url(e).includes('/SelfService/Create.html'));
  const onMain = events.filter((e) => e.pid === parse.pid && e.tid === parse.tid);
  const top = onMain.filter((e) => e.name === 'RunTask' && e.ph === 'X');
  const ours = onMain.filter(
    (e) => url(e).includes('/static/tiermatch/') || (e.cat === 'blink.user_timing' && e.name.startsWith('tiermatch:')),
  );
  const all = top.map((t) => ({
    dur: t.dur / 1000,
    ours: ours.some((o) => o.ts >= t.ts && o.ts <= t.ts + t.dur),
  }));
  return {
    longest: Math.max(0, ...all.map((t) => t.dur)),
    longestOurs: Math.max(0, ...all.filter((t) => t.ours).map((t) => t.dur)),
  };
}

const browser = await chromium.launch(LAUNCH);

async function coldLoad(withTm) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.request.post(`${RT}/NoAuth/Login.html`, {
    form: { user: CLIENT.user, pass: CLIENT.pass },
    headers: { Referer: `${RT}/NoAuth/Login.html` },
  });
  const page = await context.newPage();
  await page.route(PAGE, async (route) => {
    const response = await route.fetch();
    const body = await response.text();
    await route.fulfill({ response, body: withTm ? body : withoutTiermatch(body) });
  });
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES }, transferMode: 'ReportEvents' });
  await page.goto(PAGE, { referer: `${RT}/`, waitUntil: 'load' });
  if (withTm) await page.waitForSelector('[data-tiermatch-panel][data-mode]', { timeout: 20000 });
  await page.waitForLoadState('networkidle');
  const load = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventStart);
  await page.evaluate(() => {
    window.__keys = [];
    addEventListener(
      'keydown',
      (e) => {
        const t0 = e.timeStamp;
        requestAnimationFrame(() => window.__keys.push(performance.now() - t0));
      },
      true,
    );
  });
  await page.click('[name=Subject]');
  await page.keyboard.type(KEYS, { delay: 250 });
  await page.waitForTimeout(400);
  const keys = await page.evaluate(() => window.__keys);
  await cdp.send('Tracing.end');
  await complete;
  await context.close();
  return { load, keys, ...tasks(events) };
}

const runs = { with: [], without: [] };
for (let i = 0; i < PAIRS; i++) {
  // alternate which variant goes first
  for (const withTm of i % 2 ? [false, true] : [true, false]) {
    runs[withTm ? 'with' : 'without'].push(await coldLoad(withTm));
  }
}
await browser.close();

const figures = (rs) => ({
  load: median(rs.map((r) => r.load)),
  key: median(rs.flatMap((r) => r.keys)),
  keyMax: Math.max(...rs.flatMap((r) => r.keys)),
  longest: median(rs.map((r) => r.longest)),
  longestOurs: Math.max(...rs.map((r) => r.longestOurs)),
  longestOursMedian: median(rs.map((r) => r.longestOurs)),
});
const w = figures(runs.with);
const wo = figures(runs.without);
const pairDiffs = runs.with.map((r, i) => r.load - runs.without[i].load);
const addedLoad = median(pairDiffs);
const out = [];
out.push(`Request Tracker self-service create page, cold, ${PAIRS} loads with and ${PAIRS} without tiermatch, alternating (Chromium ${browser.version()}, traced):`);
out.push(`  load event: with ${ms(w.load)}, without ${ms(wo.load)} (medians); added by tiermatch: ${ms(addedLoad)} (median of the paired differences; goal <= 50 ms) ${addedLoad <= 50 ? 'ok' : 'OVER THE GOAL'}`);
out.push(`  keystroke to next frame: with ${ms(w.key)} (max ${ms(w.keyMax)}), without ${ms(wo.key)} (max ${ms(wo.keyMax)}) (medians over ${KEYS.length} keys a load)`);
out.push(`  longest main-thread task tiermatch causes: ${ms(w.longestOurs)} (worst load; median load ${ms(w.longestOursMedian)}; goal <= 50 ms) ${w.longestOurs <= 50 ? 'ok' : 'OVER THE GOAL'}`);
out.push(`  longest main-thread task of the page: with ${ms(w.longest)}, without ${ms(wo.longest)} (medians; RT's own scripts)`);
console.log(out.join('\n'));
