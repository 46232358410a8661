#!/usr/bin/env node
// chat-pages.mjs: drive two chat pages (examples/chat, examples/cluster) in one headless
// Chromium. Page A and page B join the same room and must first show its --history messages;
// each sends a message the other must show; then the script asks the server (POST --kill URL)
// to cut page A's stream and publish messages while A is away; both pages must then show as
// many items (a gap notice is one); finally B sends one more, which A must show too. With
// --reload, page A is then reloaded and B sends one more: A must show as many items as B.
//
// Prints one JSON object on stdout:
//   {a, b, aBeforeReload, consoleErrors, pageErrors, timedOut, step}
// a and b are the pages' items ({id, text, gap} per <li> in #messages; gap: a "messages were
// missed" notice) when the script stopped, aBeforeReload A's just before the reload; step is
// the step it was on ("done" when every step passed). A timeout is a result (timedOut true),
// not a failure. Exits 2 on a usage error, 1 on a harness failure, 3 if the watchdog ended it.
import { chromium } from 'playwright-core';
import * as cli from './lib/cli.mjs';

const usage = `usage: node chat-pages.mjs --kill URL [options] PAGE_A_URL PAGE_B_URL
  --kill URL          POSTed to cut page A's stream; answers {"published": N}, the number of
                      items A and B show more once A is back (messages, or a gap notice)
  --history N         the room's messages before the pages open, which each shows first
                      (default 0)
  --reload            at the end, reload page A; B sends one more; A must show as many items
  --timeout MS        give up after MS milliseconds from navigation (default 10000)
env: CHROMIUM=/path/to/chromium (default /usr/bin/chromium)`;

const { values, positionals } = cli.parse(usage, {
  kill: { type: 'string' },
  history: { type: 'string', default: '0' },
  reload: { type: 'boolean', default: false },
});
if (positionals.length !== 2 || !values.kill) cli.fail(usage, 2);
const [urlA, urlB] = positionals;
const timeout = values.timeout;
const history = cli.int(values.history, '--history');

let launching;
const cleanup = () => cli.closeBrowser(launching);
cli.watchdog(timeout, cleanup);
cli.onTerminate(cleanup);

const consoleErrors = [];
const pageErrors = [];
let step = 'launch';

function watch(page, label) {
  page.on('console', (m) => {
    cli.log(`page ${label} console.${m.type()}: ${m.text()}`);
    if (m.type() === 'error' && !/\/favicon\.ico$/.test(m.location().url)) consoleErrors.push(`${label}: ${m.text()}`);
  });
  page.on('pageerror', (err) => {
    cli.log(`page ${label} error: ${err.message}`);
    pageErrors.push(`${label}: ${err.message}`);
  });
}

const messages = (page) =>
  page.$$eval('#messages li', (els) =>
    els.map((e) => ({ id: e.dataset.id || '', text: e.textContent, gap: e.classList.contains('gap') })),
  );

try {
  cli.log(`launching ${cli.chromiumPath()}`);
  launching = chromium.launch(cli.launchOptions());
  const browser = await launching;
  const context = await browser.newContext();
  const a = await context.newPage();
  const b = await context.newPage();
  watch(a, 'A');
  watch(b, 'B');
  const deadline = Date.now() + timeout;
  const left = () => Math.max(1, deadline - Date.now());
  // Interval polling, not requestAnimationFrame: a page that is not in front may get no frames.
  const until = (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: left(), polling: 50 });
  const open = (page) => until(page, () => document.getElementById('status').dataset.state === 'open');
  const count = (page, n) => until(page, (n) => document.querySelectorAll('#messages li').length >= n, n);
  const send = async (page, name, text) => {
    await page.fill('#name', name, { timeout: left() });
    await page.fill('#text', text, { timeout: left() });
    await page.click('#send', { timeout: left() });
    await until(page, () => document.getElementById('text').value === ''); // the POST succeeded
  };

  let timedOut = false;
  let aBeforeReload = null;
  try {
    step = 'open';
    await Promise.all([a.goto(urlA, { waitUntil: 'commit', timeout: left() }), b.goto(urlB, { waitUntil: 'commit', timeout: left() })]);
    await Promise.all([open(a), open(b)]);
    step = 'history on join';
    await Promise.all([count(a, history), count(b, history)]);
    step = 'A sends, B sees';
    await send(a, 'alice', 'hello from A');
    await Promise.all([count(a, history + 1), count(b, history + 1)]);
    step = 'B sends, A sees';
    await send(b, 'bob', 'hello from B');
    await Promise.all([count(a, history + 2), count(b, history + 2)]);
    step = 'kill A';
    const resp = await fetch(values.kill, { method: 'POST' });
    if (!resp.ok) throw new Error(`POST ${values.kill}: ${resp.status} ${await resp.text()}`);
    const { published } = await resp.json();
    cli.log(`A's stream cut; the server published ${published} while A was away`);
    step = 'A resumes';
    await Promise.all([count(a, history + 2 + published), count(b, history + 2 + published)]);
    await open(a);
    step = 'B sends after the resume';
    await send(b, 'bob', 'after the resume');
    await Promise.all([count(a, history + 3 + published), count(b, history + 3 + published)]);
    if (values.reload) {
      step = 'A reloads';
      aBeforeReload = await messages(a);
      await a.reload({ waitUntil: 'commit', timeout: left() });
      await open(a);
      // The message B sends now comes after whatever the reloaded page is sent first: once A
      // shows as many items as B, any duplicate would already be there.
      step = 'B sends after the reload, A sees';
      await send(b, 'bob', 'after the reload');
      await count(b, history + 4 + published);
      await count(a, (await messages(b)).length);
    }
    step = 'done';
  } catch (err) {
    if (err.name !== 'TimeoutError') throw err;
    timedOut = true;
    cli.log(`timed out at step: ${step}`);
  }
  const result = { a: await messages(a), b: await messages(b), aBeforeReload, consoleErrors, pageErrors, timedOut, step };
  await browser.close();
  cli.output(result);
} catch (err) {
  if (cli.isStopping()) await new Promise(() => {}); // the signal handler exits
  cli.log(`harness failure at step ${step}: ${err.stack || err}`);
  await cleanup().catch(() => {});
  process.exit(1);
}
