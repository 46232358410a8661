// Shared plumbing for the e2e scripts: argument parsing, the single JSON result on stdout,
// diagnostics on stderr, and a watchdog so that no script outlives its --timeout by much.
import { parseArgs } from 'node:util';

// Grace added to --timeout before the watchdog kills the script: covers browser launch,
// navigation and shutdown, none of which count against --timeout itself.
export const WATCHDOG_GRACE_MS = 30_000;

// parse reads argv with node:util parseArgs. `options` are extra parseArgs options; the common
// ones (--timeout, --help) are added here. Exits with status 2 on a usage error.
export function parse(usage, options) {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        timeout: { type: 'string', default: '10000' },
        help: { type: 'boolean', short: 'h' },
        ...options,
      },
    });
  } catch (err) {
    fail(`${err.message}\n${usage}`, 2);
  }
  if (parsed.values.help) {
    process.stderr.write(usage + '\n');
    process.exit(0);
  }
  const timeout = int(parsed.values.timeout, '--timeout');
  if (timeout <= 0) fail(`--timeout must be > 0 ms\n${usage}`, 2);
  parsed.values.timeout = timeout;
  return parsed;
}

// int parses a non-negative integer flag value or exits with a usage error.
export function int(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`${name}: want a non-negative integer, got ${JSON.stringify(value)}`, 2);
  return n;
}

// types merges repeated --type flags and comma-separated --types lists.
export function types(values) {
  const out = [...(values.type || [])];
  if (values.types) out.push(...values.types.split(',').map((s) => s.trim()).filter(Boolean));
  return out;
}

// headers parses --headers, a JSON object of string values.
export function headers(value) {
  if (!value) return {};
  let h;
  try {
    h = JSON.parse(value);
  } catch (err) {
    fail(`--headers: ${err.message}`, 2);
  }
  if (h === null || typeof h !== 'object' || Array.isArray(h) || Object.values(h).some((v) => typeof v !== 'string')) {
    fail('--headers: want a JSON object of strings', 2);
  }
  return h;
}

let stopping = false;

// watchdog ends the process if the script has not finished timeoutMs + grace after start,
// after giving `cleanup` (say, closing the browser) a bounded chance to run.
export function watchdog(timeoutMs, cleanup) {
  const t = setTimeout(() => {
    stopping = true;
    log(`watchdog: still running ${timeoutMs + WATCHDOG_GRACE_MS} ms after start, giving up`);
    exitAfter(cleanup, 3);
  }, timeoutMs + WATCHDOG_GRACE_MS);
  t.unref();
}

// onTerminate runs `cleanup` and exits when the script is told to stop (the Go harness sends
// SIGTERM when a test ends before the script does). Playwright's own signal handlers are
// turned off in launchOptions: Chromium runs in a process group of its own, so a node process
// that dies without closing it leaves an orphaned browser behind.
export function onTerminate(cleanup) {
  for (const [sig, n] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]]) {
    process.once(sig, () => {
      stopping = true;
      log(`got ${sig}, cleaning up`);
      exitAfter(cleanup, 128 + n);
    });
  }
}

// isStopping reports whether a signal or the watchdog is ending the script: the main flow's
// errors after that (a page closed under it) are consequences, not harness failures.
export function isStopping() {
  return stopping;
}

// exitAfter runs cleanup for at most CLEANUP_MS, then exits with `code`.
const CLEANUP_MS = 10_000;
function exitAfter(cleanup, code) {
  setTimeout(() => process.exit(code), CLEANUP_MS); // referenced: keeps node alive until then
  Promise.resolve()
    .then(() => cleanup?.())
    .catch((err) => log(`cleanup: ${err}`))
    .finally(() => process.exit(code));
}

// closeBrowser closes a browser that `launching` (the chromium.launch promise) produces, or
// kills it if a graceful close takes longer than a few seconds. Safe to call during launch.
export async function closeBrowser(launching) {
  const browser = await launching?.catch(() => null);
  if (!browser) return;
  const kill = setTimeout(() => browser.process()?.kill('SIGKILL'), 5_000);
  try {
    await browser.close();
  } finally {
    clearTimeout(kill);
  }
}

// log writes one diagnostic line to stderr, stamped with the wall clock and the time since the
// process started (which shows where a slow run spent its time).
export function log(msg) {
  process.stderr.write(`[${new Date().toISOString()} +${Math.round(performance.now())}ms] ${msg}\n`);
}

// output prints the one JSON result on stdout and exits 0 once it is flushed.
export function output(result) {
  log('done');
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

// fail reports a harness failure on stderr and exits non-zero.
export function fail(msg, code = 1) {
  process.stderr.write(`${msg}\n`);
  process.exit(code);
}

// chromiumPath is the browser binary: $CHROMIUM, else Debian's /usr/bin/chromium.
export function chromiumPath() {
  return process.env.CHROMIUM || '/usr/bin/chromium';
}

// launchOptions are the playwright-core launch options for the system Chromium. Running as root
// needs --no-sandbox; the background-networking/component/sync flags stop Chromium phoning home,
// which otherwise shows up as refused-connection noise in a network-less sandbox.
export function launchOptions() {
  return {
    executablePath: chromiumPath(),
    headless: true,
    timeout: WATCHDOG_GRACE_MS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  };
}
