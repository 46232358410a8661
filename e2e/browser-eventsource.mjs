#!/usr/bin/env node
// browser-eventsource.mjs: watch an SSE stream with headless Chromium's own EventSource.
//
// It launches the system Chromium through playwright-core (which never downloads a browser),
// opens a page on the stream's origin so the EventSource is same-origin, runs
// `new EventSource(streamURL)` inside the page and records everything the page would see.
// The recording rules live in lib/watch.mjs and are shared with node-eventsource.mjs.
//
// Prints one JSON object on stdout: {log, finalReadyState, timedOut, stopReason}.
// Exits 0 whenever that object is printed (a timeout is a result, not a failure), 2 on a usage
// error, 1 on a harness failure (browser would not start, page would not load), 3 if the
// watchdog had to end it. Diagnostics, including the page's console, go to stderr.
import { chromium } from 'playwright-core';
import * as cli from './lib/cli.mjs';
import { watchEventSource } from './lib/watch.mjs';

const usage = `usage: node browser-eventsource.mjs [options] STREAM_URL
  --type T            also record events of type T (repeatable)
  --types A,B         also record events of these types
  --count N           stop after N message events (default 0: no limit)
  --max-errors N      stop after N error events, reconnects included (default 0: no limit)
  --timeout MS        stop after MS milliseconds of watching (default 10000)
  --headers JSON      extra request headers for every request the page makes (set through the
                      DevTools protocol: page script cannot set EventSource headers)
  --page URL          page to open first (default: a blank page on the stream's origin that
                      the harness serves itself; the server never sees that request)
  --with-credentials  construct the EventSource with {withCredentials: true}
env: CHROMIUM=/path/to/chromium (default /usr/bin/chromium)`;

const { values, positionals } = cli.parse(usage, {
  type: { type: 'string', multiple: true },
  types: { type: 'string' },
  count: { type: 'string', default: '0' },
  'max-errors': { type: 'string', default: '0' },
  headers: { type: 'string' },
  page: { type: 'string' },
  'with-credentials': { type: 'boolean', default: false },
});
if (positionals.length !== 1) cli.fail(usage, 2);

let streamURL;
try {
  streamURL = new URL(positionals[0]);
} catch (err) {
  cli.fail(`stream URL: ${err.message}`, 2);
}
const opts = {
  url: streamURL.href,
  init: values['with-credentials'] ? { withCredentials: true } : undefined,
  types: cli.types(values),
  count: cli.int(values.count, '--count'),
  maxErrors: cli.int(values['max-errors'], '--max-errors'),
  timeout: values.timeout,
};
const headers = cli.headers(values.headers);

let launching;
const cleanup = () => cli.closeBrowser(launching);
cli.watchdog(opts.timeout, cleanup);
cli.onTerminate(cleanup);

try {
  cli.log(`launching ${cli.chromiumPath()}`);
  launching = chromium.launch(cli.launchOptions());
  const browser = await launching;
  const context = await browser.newContext({ extraHTTPHeaders: headers });
  const page = await context.newPage();
  page.on('console', (m) => cli.log(`page console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (err) => cli.log(`page error: ${err.message}`));

  // A blank page of our own on the stream's origin: nothing on the server has to exist, and the
  // route is removed before the EventSource starts so its requests are not intercepted.
  const blank = new URL('/__rxsse_e2e_blank__', streamURL.origin).href;
  const pageURL = values.page ?? blank;
  if (!values.page) {
    await page.route(blank, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><link rel=icon href="data:,"><title>rxsse e2e</title>' }),
    );
  }
  cli.log(`opening ${pageURL}`);
  await page.goto(pageURL, { waitUntil: 'load', timeout: cli.WATCHDOG_GRACE_MS });
  if (!values.page) await page.unroute(blank);

  cli.log(`watching ${opts.url}`);
  const result = await page.evaluate(watchEventSource, opts);
  cli.log(`stopped: ${result.stopReason}, ${result.log.length} entries`);
  await browser.close();
  cli.output(result);
} catch (err) {
  if (cli.isStopping()) await new Promise(() => {}); // the signal handler exits
  cli.log(`harness failure: ${err.stack || err}`);
  await cleanup().catch(() => {});
  process.exit(1);
}
