// The real-portal suite: Request Tracker 5 with tiermatch's RT extension
// (integrations/request-tracker/), as an admin installs it, on a throw-away instance that
// `cargo xtask test portal` starts and stops (TIERMATCH_RT_URL). A client types a ticket on the
// self-service page, into RT's rich-text editor (CKEditor 4), and submits; the ticket is read
// back through RT's REST2 API and its custom fields are held against the CLI's answer for the
// same text (TIERMATCH_CLI).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { LAUNCH } from '../launch.mjs';

const RT = process.env.TIERMATCH_RT_URL;
const CLI = process.env.TIERMATCH_CLI;
if (!RT || !CLI) {
  throw new Error('TIERMATCH_RT_URL or TIERMATCH_CLI is not set: run this suite with `cargo xtask test portal`');
}
const SHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
const MODEL_FILE = fileURLToPath(new URL('../../../www/model/tiermatch.model', import.meta.url));
// rt-testdata.pm
const CLIENT = { user: 'maria.keller', pass: 'tiermatch-client-1' };
const STAFF = { user: 'root', pass: 'password' };
const ROOT_AUTH = `Basic ${Buffer.from(`${STAFF.user}:${STAFF.pass}`).toString('base64')}`;
const XSS = '<img src=x onerror=alert(1)>';

// Tickets written for this suite; the body's lines are typed as paragraphs.
const TICKETS = {
  printer: {
    subject: 'Printer on the 2nd floor shows a paper jam',
    body: [
      'Hello, the printer next to the kitchen on the 2nd floor says paper jam in tray 2.',
      'I opened every door and there is no paper stuck in it, the message stays. Thanks, Maria',
    ],
  },
  vpn: {
    subject: 'VPN drops every few minutes when working from home',
    body: [
      'Since Monday my VPN connection disconnects every 5 to 10 minutes.',
      'Other websites keep working, only the company drives and Teams calls fail.',
    ],
  },
  markup: {
    subject: `${XSS} printer`,
    body: [`${XSS} <script>alert(2)</script> my printer is broken`],
  },
};

let browser;
let fields; // the custom fields' ids: { tier, confidence }
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch(LAUNCH);
  const all = await rest('customfields?per_page=100&fields=Name', [{ field: 'LookupType', value: 'RT::Queue-RT::Ticket' }]);
  const id = (name) => all.items.find((cf) => cf.Name === name)?.id;
  fields = { tier: id('Suggested tier'), confidence: id('Suggested tier confidence') };
  assert.ok(fields.tier && fields.confidence, `the extension's custom fields: ${JSON.stringify(all.items)}`);
});
after(async () => {
  await browser?.close();
});

/** A GET of RT's REST2 API as root, or a POST of `query` (a search). */
async function rest(path, query) {
  const r = await fetch(`${RT}/REST/2.0/${path}`, {
    method: query ? 'POST' : 'GET',
    headers: { Authorization: ROOT_AUTH, 'Content-Type': 'application/json' },
    body: query ? JSON.stringify(query) : undefined,
  });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return r.json();
}

/** The CLI's answer for a ticket. */
function cli({ subject, body }) {
  const out = spawnSync(CLI, ['classify', '--jsonl'], {
    input: `${JSON.stringify({ subject, body: body.join('\n') })}\n`,
    encoding: 'utf8',
  });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

/** A ticket as RT holds it: subject, the first message's paragraphs as text, the custom fields. */
async function readTicket(id) {
  const t = await rest(`ticket/${id}`);
  const cf = (cfId) => t.CustomFields.find((c) => String(c.id) === String(cfId))?.values ?? [];
  const attachments = await rest(`ticket/${id}/attachments?fields=Content,ContentType`);
  const message = attachments.items.find((a) => a.ContentType === 'text/html' || a.ContentType === 'text/plain');
  return {
    subject: t.Subject,
    message,
    tier: cf(fields.tier),
    confidence: cf(fields.confidence),
  };
}

/** The paragraphs of an HTML message, as text (entities decoded), parsed by the browser; without
 * the empty line RT's message box starts with below the text (where a signature would go), so
 * without any empty one (the tickets typed here have none). */
async function paragraphs(page, html) {
  const all = await page.evaluate(
    (h) => [...new DOMParser().parseFromString(h, 'text/html').body.querySelectorAll('p')].map((p) => p.textContent),
    html,
  );
  return all.filter((p) => p.trim() !== '');
}

/** Requests made while typing, other than GETs of RT's own static files (a font the page's
 * stylesheet names is fetched when bold text is first drawn): none may carry the ticket. */
function leaving(requests) {
  return requests.filter((r) => !new RegExp(`^GET ${RT}/static/[^?]*$`).test(r));
}

/** A logged-in browser context, and a page that records what it logs and requests. */
async function session(who, route) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const login = await context.request.post(`${RT}/NoAuth/Login.html`, {
    form: { user: who.user, pass: who.pass },
    headers: { Referer: `${RT}/NoAuth/Login.html` },
  });
  assert.equal(login.status(), 200);
  const page = await context.newPage();
  const log = { console: [], pageErrors: [], requests: [], dialogs: [] };
  page.on('console', (m) => log.console.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => log.pageErrors.push(e.message));
  page.on('request', (r) => log.requests.push(`${r.method()} ${r.url()}`));
  page.on('dialog', (d) => {
    log.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  if (route) await route(page);
  return { context, page, log };
}

/** Opens a create page (with the Referer RT's CSRF check wants) and waits for the editor. */
async function openCreate(page, path) {
  await page.goto(`${RT}${path}`, { referer: `${RT}/` });
  await page.waitForSelector('iframe.cke_wysiwyg_frame', { timeout: 20000 });
  await page.frameLocator('iframe.cke_wysiwyg_frame').locator('body[contenteditable=true]').waitFor();
}

/** Types a ticket as a person would: the subject, then the body into the rich-text editor. */
async function typeTicket(page, { subject, body }, delay = 4) {
  await page.click('[name=Subject]');
  await page.keyboard.type(subject, { delay });
  await page.frameLocator('iframe.cke_wysiwyg_frame').locator('body').click();
  for (const [i, line] of body.entries()) {
    if (i > 0) await page.keyboard.press('Enter');
    await page.keyboard.type(line, { delay });
  }
}

const input = (id) => `[name="Object-RT::Ticket--CustomField-${id}-Value"]`;

/** Waits until the tier field holds `tier` and the confidence field `confidence` (as typed by attach()). */
async function fieldsHold(page, expected) {
  await page
    .waitForFunction(
      ([t, c, tier, confidence]) =>
        document.querySelector(t)?.value === tier && Number(document.querySelector(c)?.value) === confidence,
      [input(fields.tier), input(fields.confidence), expected.tier, expected.confidence],
      { timeout: 10000 },
    )
    .catch(() => {}); // the assertions that follow say what differs
}

/** Submits the create form and returns the new ticket's id. */
async function submit(page) {
  await Promise.all([page.waitForURL(/Display\.html\?id=\d+|results=/, { timeout: 30000 }), page.click('[name=SubmitTicket]')]);
  const id = new URL(page.url()).searchParams.get('id') ??
    (await page.textContent('.results, #body')).match(/Ticket (\d+) created/)?.[1];
  assert.ok(id, `no ticket created: ${page.url()}`);
  return id;
}

/** Types a ticket once the page is idle, checks that no request left the page meanwhile, and
 * returns the CLI's answer for it once the fields hold it. */
async function typeQuietly(page, log, ticket, delay) {
  await page.waitForLoadState('networkidle');
  const before = log.requests.length;
  await typeTicket(page, ticket, delay);
  const expected = cli(ticket);
  await fieldsHold(page, expected);
  assert.deepEqual(leaving(log.requests.slice(before)), [], 'no request leaves the page while typing');
  return expected;
}

/** Checks that ticket `id` holds the text as typed and the CLI's tier and confidence. */
async function assertArrived(page, id, ticket, expected) {
  const t = await readTicket(id);
  assert.equal(t.subject, ticket.subject);
  assert.equal(t.message.ContentType, 'text/html', 'the rich-text editor sent the message');
  assert.deepEqual(await paragraphs(page, t.message.Content), ticket.body);
  assert.deepEqual(t.tier, [expected.tier]);
  assert.deepEqual(t.confidence, [expected.confidence.toFixed(4)]);
}

const ours = (log) => log.console.filter((m) => /tiermatch/i.test(m.text));

describe('Request Tracker 5, self-service (clients)', () => {
  test('a client types a ticket into the rich-text editor, sees articles, submits; RT holds the text and the CLI\'s tier', { timeout: 120000 }, async () => {
    const { context, page, log } = await session(CLIENT);
    try {
      await openCreate(page, '/SelfService/Create.html?Queue=1');
      await page.waitForSelector('[data-tiermatch-panel][data-mode=client]', { timeout: 20000 });
      // the custom fields are the agents': hidden from the client
      assert.equal(await page.isVisible(input(fields.tier)), false, 'tier field hidden from clients');
      const ticket = TICKETS.printer;
      const expected = await typeQuietly(page, log, ticket, 4);
      const panel = await page.evaluate(() => {
        const p = document.querySelector('[data-tiermatch-panel]');
        return {
          tier: p.dataset.tier,
          links: [...p.querySelectorAll('a.tm-sop-link')].map((a) => a.textContent),
          afterEditor: p.previousElementSibling?.id === 'cke_Content',
        };
      });
      assert.equal(panel.tier, expected.tier, 'the panel follows the editor');
      assert.ok(panel.links.length >= 1, 'self-help articles shown');
      assert.match(panel.links[0], /jam/i);
      assert.ok(panel.afterEditor, 'the panel sits under the editor');
      await page.screenshot({ path: `${SHOTS}rt-selfservice-create.png`, fullPage: true });
      const id = await submit(page);
      await page.screenshot({ path: `${SHOTS}rt-selfservice-created.png`, fullPage: true });
      await assertArrived(page, id, ticket, expected);
      assert.deepEqual(log.pageErrors, []);
      assert.deepEqual(ours(log).filter((m) => m.type === 'error' || m.type === 'warning'), []);
    } finally {
      await context.close();
    }
  });

  test('with the triage note on, the note is appended to the message on submit, and only then', { timeout: 120000 }, async () => {
    // The page as the callback writes it with Set($TierMatchTriageNote, 1) in RT's configuration.
    const noteOn = (page) =>
      page.route('**/SelfService/Create.html?Queue=1', async (route) => {
        const response = await route.fetch();
        const body = (await response.text()).replace('data-tiermatch-form=', 'data-tiermatch-triage-note data-tiermatch-form=');
        await route.fulfill({ response, body });
      });
    const { context, page, log } = await session(CLIENT, noteOn);
    try {
      await openCreate(page, '/SelfService/Create.html?Queue=1');
      await page.waitForSelector('[data-tiermatch-panel][data-mode=client]', { timeout: 20000 });
      const ticket = TICKETS.printer;
      await typeTicket(page, ticket, 2);
      const expected = cli(ticket);
      await fieldsHold(page, expected);
      const editorText = () => page.frameLocator('iframe.cke_wysiwyg_frame').locator('body').innerText();
      assert.doesNotMatch(await editorText(), /Suggested tier/, 'no note before submit');
      const article = await page.textContent('[data-tiermatch-panel] a.tm-sop-link');
      const id = await submit(page);
      const t = await readTicket(id);
      const note = `Suggested tier: ${expected.tier} (${Math.round(expected.confidence * 100)}%) · Suggested article: ${article}`;
      assert.deepEqual(await paragraphs(page, t.message.Content), [...ticket.body, note]);
      assert.deepEqual(t.tier, [expected.tier], 'the fields hold the answer for the text as typed, without the note');
      assert.deepEqual(log.pageErrors, []);
    } finally {
      await context.close();
    }
  });

  const broken = {
    missing: (route) => route.fulfill({ status: 404, body: 'not found' }),
    corrupt: (route) => {
      const bytes = readFileSync(MODEL_FILE);
      bytes[bytes.length >> 1] ^= 0x20;
      return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: bytes });
    },
  };
  for (const [name, answer] of Object.entries(broken)) {
    test(`with the model file ${name} the ticket is still created, fields empty, one clear console message`, { timeout: 120000 }, async () => {
      const { context, page, log } = await session(CLIENT, (p) => p.route('**/static/tiermatch/model/tiermatch.model', answer));
      try {
        await openCreate(page, '/SelfService/Create.html?Queue=1');
        await page.waitForFunction(() => performance.getEntriesByName('tiermatch:loader-start').length > 0);
        await typeTicket(page, TICKETS.vpn, 1);
        await page.waitForTimeout(500);
        if (name === 'missing') await page.screenshot({ path: `${SHOTS}rt-selfservice-model-missing.png`, fullPage: true });
        const id = await submit(page);
        const t = await readTicket(id);
        assert.equal(t.subject, TICKETS.vpn.subject);
        assert.deepEqual(await paragraphs(page, t.message.Content), TICKETS.vpn.body);
        assert.deepEqual([t.tier, t.confidence], [[], []], 'no suggestion saved');
        const said = ours(log);
        assert.equal(said.length, 1, JSON.stringify(log.console));
        assert.equal(said[0].type, 'error');
        assert.match(said[0].text, /^tiermatch: suggestions are off because the model \/static\/tiermatch\/model\/tiermatch\.model could not be loaded: .+\. The form still works and submits without them\.$/);
        assert.match(said[0].text, name === 'missing' ? /404/ : /checksum|damaged|not a tiermatch model/);
        assert.deepEqual(log.pageErrors, []);
      } finally {
        await context.close();
      }
    });
  }
});

describe('Request Tracker 5, staff create page (agents)', () => {
  test('shows tier, confidence and reasons; ticket markup stays text and arrives unchanged', { timeout: 120000 }, async () => {
    const { context, page, log } = await session(STAFF);
    try {
      await openCreate(page, '/Ticket/Create.html?Queue=1');
      await page.waitForSelector('[data-tiermatch-panel][data-mode=staff]', { timeout: 20000 });
      const images = await page.evaluate(() => document.images.length);
      const ticket = TICKETS.markup;
      const expected = await typeQuietly(page, log, ticket, 2);
      const panel = await page.evaluate(() => {
        const p = document.querySelector('[data-tiermatch-panel]');
        return {
          tier: p.dataset.tier,
          badge: p.querySelector('.tm-badge')?.textContent,
          confidence: p.querySelector('.tm-confidence')?.textContent,
          reasons: [...p.querySelectorAll('.tm-reason')].map((r) => r.textContent),
          markup: p.querySelectorAll('img, script').length,
        };
      });
      assert.equal(panel.tier, expected.tier);
      assert.equal(panel.badge, expected.tier);
      assert.equal(panel.confidence, `${Math.round(expected.confidence * 100)}% confident`);
      assert.deepEqual(panel.reasons, expected.reasons);
      assert.equal(panel.markup, 0, 'nothing of the ticket became markup in the panel');
      assert.equal(await page.evaluate(() => document.images.length), images);
      // agents see the fields, filled in
      assert.equal(await page.isVisible(input(fields.tier)), true);
      await page.screenshot({ path: `${SHOTS}rt-staff-create.png`, fullPage: true });
      const id = await submit(page);
      await assertArrived(page, id, ticket, expected);
      assert.deepEqual(log.dialogs, []);
      assert.deepEqual(log.pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
