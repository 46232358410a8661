// The benchmark's NestJS server, written the way the NestJS docs teach
// @Sse (https://docs.nestjs.com/techniques/server-sent-events): a controller
// whose methods return rxjs Observables of MessageEvent. Nothing is tuned.
import { Controller, MessageEvent, Query, Sse } from '@nestjs/common';
import { Observable, interval, map, range, share } from 'rxjs';

// nowMicros is the wall-clock time in microseconds, the send time each
// fan-out tick carries.
function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

@Controller()
export class AppController {
  // One shared tick every 100 ms for every /fanout client: an interval
  // multicast with share(), as Nest users write a broadcast.
  private readonly ticks$: Observable<MessageEvent> = interval(100).pipe(
    map((i) => ({ data: { t: nowMicros(), seq: i + 1 } })),
    share(),
  );

  // The seed from the docs: {"hello":"world"} every second.
  @Sse('sse')
  sse(): Observable<MessageEvent> {
    return interval(1000).pipe(map(() => ({ data: { hello: 'world' } })));
  }

  // n events {"hello":"world","i":i} as fast as possible, then complete.
  @Sse('firehose')
  firehose(@Query('n') n: string): Observable<MessageEvent> {
    const count = Math.max(0, Math.min(Number.parseInt(n ?? '0', 10) || 0, 100_000_000));
    return range(0, count).pipe(map((i) => ({ data: { hello: 'world', i } })));
  }

  // The shared tick.
  @Sse('fanout')
  fanout(): Observable<MessageEvent> {
    return this.ticks$;
  }
}
