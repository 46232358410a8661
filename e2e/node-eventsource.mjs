#!/usr/bin/env node
// node-eventsource.mjs: watch an SSE stream with the npm `eventsource` package (v4), an
// EventSource written by people outside this project, running on Node's fetch (undici).
//
// Same recording rules and output as browser-eventsource.mjs (lib/watch.mjs), plus two extras
// on error entries that only this client provides: `status` (HTTP status of a failed
// connection, when there was one) and `message` (its reason).
//
// Prints one JSON object on stdout: {log, finalReadyState, timedOut, stopReason}.
// Exits 0 whenever that object is printed, 2 on a usage error, 1 on a harness failure,
// 3 if the watchdog had to end it.
import { EventSource } from 'eventsource';
import * as cli from './lib/cli.mjs';
import { watchEventSource } from './lib/watch.mjs';

const usage = `usage: node node-eventsource.mjs [options] STREAM_URL
  --type T            also record events of type T (repeatable)
  --types A,B         also record events of these types
  --count N           stop after N message events (default 0: no limit)
  --max-errors N      stop after N error events, reconnects included (default 0: no limit)
  --timeout MS        stop after MS milliseconds of watching (default 10000)
  --headers JSON      extra request headers, sent on every (re)connection through the
                      package's custom fetch option`;

const { values, positionals } = cli.parse(usage, {
  type: { type: 'string', multiple: true },
  types: { type: 'string' },
  count: { type: 'string', default: '0' },
  'max-errors': { type: 'string', default: '0' },
  headers: { type: 'string' },
});
if (positionals.length !== 1) cli.fail(usage, 2);

const headers = cli.headers(values.headers);
const opts = {
  url: positionals[0],
  types: cli.types(values),
  count: cli.int(values.count, '--count'),
  maxErrors: cli.int(values['max-errors'], '--max-errors'),
  timeout: values.timeout,
};
if (Object.keys(headers).length > 0) {
  // eventsource v3+ dropped its `headers` option in favour of a fetch hook. Ours go first so
  // the client's own Accept and Last-Event-ID win over a caller's.
  opts.init = {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...headers, ...init.headers } }),
  };
}

cli.watchdog(opts.timeout);
try {
  cli.log(`watching ${opts.url}`);
  const result = await watchEventSource(opts, EventSource);
  cli.log(`stopped: ${result.stopReason}, ${result.log.length} entries`);
  cli.output(result);
} catch (err) {
  cli.log(`harness failure: ${err.stack || err}`);
  process.exit(1);
}
