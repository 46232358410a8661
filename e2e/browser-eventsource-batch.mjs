#!/usr/bin/env node
// browser-eventsource-batch.mjs: watch many SSE streams with one headless Chromium.
//
// Launching Chromium costs a second or two, so a differential test with a hundred streams
// launches it once: this script opens one page on the streams' origin and runs the same
// recording loop as browser-eventsource.mjs (lib/watch.mjs) once per stream, --parallel at a
// time. Chromium opens at most 6 HTTP/1.1 connections per origin and an EventSource holds one
// for as long as it watches, so --parallel stays below that.
//
// JOBS_FILE is a JSON array of jobs, one per stream, all on one origin:
//   [{"url": "...", "types": ["tick"], "count": 0, "maxErrors": 0, "timeout": 5000}, ...]
// with the meaning of browser-eventsource.mjs's flags (timeout in ms, default 10000).
//
// Prints one JSON array on stdout: one {log, finalReadyState, timedOut, stopReason} per job,
// in the order of the jobs. Exit codes as browser-eventsource.mjs.
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import * as cli from './lib/cli.mjs';
import { watchEventSource } from './lib/watch.mjs';

const usage = `usage: node browser-eventsource-batch.mjs [options] JOBS_FILE
  --parallel N        streams watched at once (default 4, at most 5)
  --timeout MS        the whole batch's budget, for the watchdog (default 10000)
JOBS_FILE: a JSON array of {url, types, count, maxErrors, timeout}, all URLs on one origin
env: CHROMIUM=/path/to/chromium (default /usr/bin/chromium)`;

const { values, positionals } = cli.parse(usage, {
  parallel: { type: 'string', default: '4' },
});
if (positionals.length !== 1) cli.fail(usage, 2);
const parallel = cli.int(values.parallel, '--parallel');
if (parallel < 1 || parallel > 5) cli.fail(`--parallel must be 1 to 5\n${usage}`, 2);

let jobs;
try {
  jobs = JSON.parse(await readFile(positionals[0], 'utf8'));
} catch (err) {
  cli.fail(`jobs file: ${err.message}`, 2);
}
if (!Array.isArray(jobs) || jobs.length === 0) cli.fail('jobs file: want a non-empty JSON array', 2);
let origin;
jobs = jobs.map((job, i) => {
  let url;
  try {
    url = new URL(job.url);
  } catch (err) {
    cli.fail(`job ${i}: url: ${err.message}`, 2);
  }
  origin ??= url.origin;
  if (url.origin !== origin) cli.fail(`job ${i}: ${url.origin} is not the batch's origin ${origin}`, 2);
  return {
    url: url.href,
    types: Array.isArray(job.types) ? job.types.map(String) : [],
    count: cli.int(String(job.count ?? 0), `job ${i} count`),
    maxErrors: cli.int(String(job.maxErrors ?? 0), `job ${i} maxErrors`),
    timeout: cli.int(String(job.timeout || 10000), `job ${i} timeout`),
  };
});

let launching;
const cleanup = () => cli.closeBrowser(launching);
cli.watchdog(values.timeout, cleanup);
cli.onTerminate(cleanup);

try {
  cli.log(`launching ${cli.chromiumPath()}`);
  launching = chromium.launch(cli.launchOptions());
  const browser = await launching;
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => cli.log(`page console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (err) => cli.log(`page error: ${err.message}`));

  // A blank page of our own on the streams' origin, as in browser-eventsource.mjs.
  const blank = new URL('/__rxsse_e2e_blank__', origin).href;
  await page.route(blank, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><link rel=icon href="data:,"><title>rxsse e2e batch</title>' }),
  );
  await page.goto(blank, { waitUntil: 'load', timeout: cli.WATCHDOG_GRACE_MS });
  await page.unroute(blank);

  cli.log(`watching ${jobs.length} streams, ${parallel} at a time`);
  const results = new Array(jobs.length);
  let nextJob = 0;
  const worker = async () => {
    while (nextJob < jobs.length) {
      const i = nextJob++;
      results[i] = await page.evaluate(watchEventSource, jobs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  cli.log(`stopped: ${results.map((r) => r.stopReason).join(' ')}`);
  await browser.close();
  cli.output(results);
} catch (err) {
  if (cli.isStopping()) await new Promise(() => {}); // the signal handler exits
  cli.log(`harness failure: ${err.stack || err}`);
  await cleanup().catch(() => {});
  process.exit(1);
}
