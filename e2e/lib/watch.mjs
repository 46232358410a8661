// watchEventSource is the one recording loop shared by every EventSource client the harness
// drives. It must stay self-contained (no imports, no closures over module scope): the browser
// script ships its source text into the page with page.evaluate, the node script calls it
// directly with the npm package's EventSource class. Both clients therefore produce logs by the
// same rules, which is what makes a browser-vs-node-vs-Go differential test meaningful.
//
// Log entries, in the order the client dispatched them:
//   {kind:"open", at}
//   {kind:"message", type, data, lastEventId, at}   for "message" and every type in opts.types;
//                                                   frames named "open" or "error" are always
//                                                   recorded (they reach the open/error listeners
//                                                   as MessageEvents, which is how we tell them
//                                                   apart from connection events)
//   {kind:"error", readyState, at[, status, message]}  a connection error; status and message are
//                                                   extras only the npm client provides
// `at` is milliseconds since the EventSource was constructed.
//
// It stops, closes the EventSource and resolves {log, finalReadyState, timedOut, stopReason} when:
//   - opts.count > 0 message entries were recorded           stopReason "count"
//   - an error left readyState CLOSED (2): a fatal failure    stopReason "closed"
//   - opts.maxErrors > 0 error entries were recorded          stopReason "max-errors"
//   - opts.timeout ms passed                                  stopReason "timeout", timedOut true
// finalReadyState is the readyState at the moment it stopped, before its own close().
export function watchEventSource(opts, Impl) {
  Impl = Impl || globalThis.EventSource;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const at = () => Math.round((performance.now() - start) * 10) / 10;
    const log = [];
    let messages = 0;
    let errors = 0;
    let done = false;
    let es;
    let timer;

    const finish = (stopReason) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const finalReadyState = es.readyState;
      es.close();
      resolve({ log, finalReadyState, timedOut: stopReason === 'timeout', stopReason });
    };

    const recordMessage = (e) => {
      if (done) return;
      log.push({ kind: 'message', type: e.type, data: e.data, lastEventId: e.lastEventId, at: at() });
      messages++;
      if (opts.count > 0 && messages >= opts.count) finish('count');
    };

    // A server frame named "open" or "error" is dispatched as a MessageEvent with that type;
    // the connection's own open/error events are plain Events (the npm client's ErrorEvent has
    // no data either). A string `data` is the reliable tell in both clients.
    const isFrame = (e) => typeof e.data === 'string';

    try {
      es = new Impl(opts.url, opts.init);
    } catch (err) {
      reject(err);
      return;
    }
    timer = setTimeout(() => finish('timeout'), opts.timeout);

    es.addEventListener('open', (e) => {
      if (isFrame(e)) return recordMessage(e);
      if (done) return;
      log.push({ kind: 'open', at: at() });
    });
    es.addEventListener('error', (e) => {
      if (isFrame(e)) return recordMessage(e);
      if (done) return;
      const entry = { kind: 'error', readyState: es.readyState, at: at() };
      if (typeof e.code === 'number') entry.status = e.code;
      if (typeof e.message === 'string' && e.message !== '') entry.message = e.message;
      log.push(entry);
      errors++;
      if (es.readyState === 2) finish('closed');
      else if (opts.maxErrors > 0 && errors >= opts.maxErrors) finish('max-errors');
    });
    const types = new Set(['message', ...(opts.types || [])]);
    types.delete('open');
    types.delete('error');
    for (const type of types) es.addEventListener(type, recordMessage);
  });
}
