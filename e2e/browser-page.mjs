#!/usr/bin/env node
// browser-page.mjs: load a real page in headless Chromium and wait until a CSS selector matches
// at least N elements, e.g. the <li>s an example page appends as its EventSource delivers.
//
// Prints one JSON object on stdout:
//   {texts, consoleErrors, pageErrors, timedOut}
// texts are the matching elements' textContent in document order (all of them, possibly more
// than N), read when the wait ended; consoleErrors are console.error messages and failed
// resource loads reported by the page; pageErrors are uncaught exceptions. A timeout is a
// result (timedOut true, texts as found then), not a failure. Exits 2 on a usage error, 1 on a
// harness failure (browser would not start, page would not load), 3 if the watchdog ended it.
import { chromium } from 'playwright-core';
import * as cli from './lib/cli.mjs';

const usage = `usage: node browser-page.mjs [options] PAGE_URL
  --selector CSS      elements to wait for (required)
  --count N           wait until at least N elements match (default 1)
  --timeout MS        stop waiting after MS milliseconds from navigation (default 10000)
env: CHROMIUM=/path/to/chromium (default /usr/bin/chromium)`;

const { values, positionals } = cli.parse(usage, {
  selector: { type: 'string' },
  count: { type: 'string', default: '1' },
});
if (positionals.length !== 1 || !values.selector) cli.fail(usage, 2);
const pageURL = positionals[0];
const count = cli.int(values.count, '--count');
const timeout = values.timeout;

let launching;
const cleanup = () => cli.closeBrowser(launching);
cli.watchdog(timeout, cleanup);
cli.onTerminate(cleanup);

try {
  cli.log(`launching ${cli.chromiumPath()}`);
  launching = chromium.launch(cli.launchOptions());
  const browser = await launching;
  const page = await browser.newPage();
  const consoleErrors = [];
  const pageErrors = [];
  page.on('console', (m) => {
    const url = m.location().url;
    // A failed load names no URL in its text; add it so a test failure says which one.
    const text = m.text().startsWith('Failed to load resource') && url ? `${m.text()}: ${url}` : m.text();
    cli.log(`page console.${m.type()}: ${text}`);
    // Chromium asks every origin for /favicon.ico and reports a 404 as a console error; that
    // is noise about the test server, not something the page did.
    if (m.type() === 'error' && !/\/favicon\.ico$/.test(url)) consoleErrors.push(text);
  });
  page.on('pageerror', (err) => {
    cli.log(`page error: ${err.message}`);
    pageErrors.push(err.message);
  });

  const deadline = Date.now() + timeout;
  cli.log(`opening ${pageURL}`);
  // 'commit' rather than 'load': a page whose EventSource keeps the connection open still
  // fires load, but nothing here needs to wait for subresources before polling the selector.
  await page.goto(pageURL, { waitUntil: 'commit', timeout: cli.WATCHDOG_GRACE_MS });

  let timedOut = false;
  try {
    await page.waitForFunction(
      ({ selector, count }) => document.querySelectorAll(selector).length >= count,
      { selector: values.selector, count },
      { timeout: Math.max(1, deadline - Date.now()), polling: 'raf' },
    );
  } catch (err) {
    if (err.name !== 'TimeoutError') throw err;
    timedOut = true;
  }
  const texts = await page.$$eval(values.selector, (els) => els.map((e) => e.textContent));
  cli.log(`stopped: ${texts.length} match${texts.length === 1 ? '' : 'es'}${timedOut ? ', timed out' : ''}`);
  await browser.close();
  cli.output({ texts, consoleErrors, pageErrors, timedOut });
} catch (err) {
  if (cli.isStopping()) await new Promise(() => {}); // the signal handler exits
  cli.log(`harness failure: ${err.stack || err}`);
  await cleanup().catch(() => {});
  process.exit(1);
}
