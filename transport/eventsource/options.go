package eventsource

import (
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/rxsse/rxsse/encoder"
)

// Defaults for the options.
const (
	// defaultRetry is the reconnection time until the stream sets one with
	// a retry field: 3 s, what browsers use.
	defaultRetry = 3 * time.Second
	// defaultMaxBackoff caps the exponential backoff between failed
	// attempts (see WithBackoff).
	defaultMaxBackoff = 30 * time.Second
)

// Option configures Observe and ObserveRequest. Nil options are ignored.
type Option func(*config)

type config struct {
	client       *http.Client
	lastEventID  string
	retry        time.Duration
	maxBackoff   time.Duration
	jitter       func(time.Duration) time.Duration // equalJitter; the package's tests replace it
	maxAttempts  int
	readTimeout  time.Duration
	maxEventSize int
	onOpen       func()
	onError      func(error, time.Duration)
}

func newConfig(opts []Option) config {
	c := config{
		client:       http.DefaultClient,
		retry:        defaultRetry,
		maxBackoff:   defaultMaxBackoff,
		jitter:       equalJitter,
		maxEventSize: encoder.DefaultMaxEventSize,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithClient sets the http.Client that makes the requests
// (http.DefaultClient by default): its Transport, its cookie Jar (how a
// browser would authenticate a stream), its redirect policy. The client is
// used through a copy whose CheckRedirect calls c's, then removes the
// caller's headers from a redirect to another origin (see ObserveRequest). Its
// Timeout must be zero, or it cuts every stream after that time (each cut
// is a reconnect); bound silence with WithReadTimeout instead. A nil c
// keeps the default.
func WithClient(c *http.Client) Option {
	return func(cfg *config) {
		if c != nil {
			cfg.client = c
		}
	}
}

// WithLastEventID starts the stream as if it had already set this last
// event id: the first request sends it as Last-Event-ID, so a client that
// stored the id of the last event it processed resumes where it stopped.
// Browsers cannot do that; it changes nothing else.
func WithLastEventID(id string) Option {
	return func(c *config) { c.lastEventID = id }
}

// WithRetry sets the reconnection time used until the stream sets one
// with a retry field (3 seconds by default, as in browsers). A value of
// zero or less keeps the default. Whatever the option or the stream say, the client
// waits at least 100 ms before a reconnect. This value is the client's own
// and is not capped; a stream's retry field is, at WithBackoff's cap or 1
// minute, whichever is longer, so that a server cannot keep its clients
// away for a day.
func WithRetry(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.retry = d
		}
	}
}

// WithBackoff caps the exponential backoff between consecutive attempts
// that deliver no event (30 seconds by default): attempts that fail, and
// connections that open but end without an event (a server that answers
// "retry: 0" and ends at once). The first reconnect waits the reconnection
// time, as browsers do; each further such attempt in a row doubles the
// wait (from the reconnection time, or 100 ms if that is shorter), up to
// max, with jitter: the wait is random, between half the doubled wait and
// all of it, which spreads out the reconnects of many clients that lost
// the same server. A connection that delivers an event resets it. The wait
// is never shorter than the reconnection time, even when that is longer
// than max, nor than 100 ms; a retry field sets a reconnection time of at
// most max or 1 minute, whichever is longer. Zero or less turns backoff
// off: every reconnect waits the reconnection time (at least 100 ms), as
// in a browser.
func WithBackoff(max time.Duration) Option {
	return func(c *config) { c.maxBackoff = max }
}

// WithMaxAttempts makes the client give up after n consecutive connection
// attempts failed, counting the first connection: the observable then ends
// with an error wrapping ErrMaxAttempts and the last attempt's error. An
// attempt fails when it gets no response (a network error, the read
// timeout before the headers); a connection that opened resets the count,
// however it ends. Zero or less, the default, never gives up, like a
// browser.
func WithMaxAttempts(n int) Option {
	return func(c *config) { c.maxAttempts = n }
}

// WithReadTimeout treats a connection as dead when the server ends no
// line for d: no response headers, then no line break in the body. Comment
// lines (heartbeats) keep a quiet stream alive, and so do blank lines;
// bytes that never end a line do not, so a server that trickles them, or
// a line that takes longer than d to arrive, ends the connection. The
// client drops it, reports ErrReadTimeout to WithOnError and reconnects.
// The clock runs only while the client waits for the server: a slow
// subscriber does not make the stream look dead. Zero or less, the
// default, waits for ever.
func WithReadTimeout(d time.Duration) Option {
	return func(c *config) { c.readTimeout = d }
}

// WithMaxEventSize bounds the bytes buffered for one event
// (encoder.DefaultMaxEventSize by default; see encoder.WithMaxEventSize):
// the memory a connection holds stays near it, however long a line the
// server sends. An event past it ends the observable with an error
// wrapping encoder.ErrEventTooLarge: reconnecting would only read it
// again. It also sets the read limit: a connection may carry at most
// twice n bytes (at least 1 MiB) between two events, so that a flood of
// lines that dispatch nothing (blank lines, comments, blocks without data)
// costs a bounded amount of work; past it the client reports ErrReadLimit
// to WithOnError and reconnects. Zero or less removes both bounds.
func WithMaxEventSize(n int) Option {
	return func(c *config) { c.maxEventSize = n }
}

// WithOnOpen calls f each time a connection opens: a 200 response of type
// text/event-stream, what fires "open" on a browser's EventSource.
//
// Like WithOnError's, f runs on the goroutine that emits the items, between
// two of them: after the subscriber received the items before it, and
// before the items after it are sent (with rxgo's default unbuffered
// channel). It must return quickly; the stream waits for it.
func WithOnOpen(f func()) Option {
	return func(c *config) { c.onOpen = f }
}

// WithOnError calls f each time a connection fails or ends and the client
// is going to reconnect in retryIn, what fires "error" on a browser's
// EventSource while it is CONNECTING. err says why: io.EOF when the server
// ended the response, ErrReadTimeout, ErrReadLimit, or the error of the
// request or of the body. Errors that
// stop the client for good are not reported here: they are the
// observable's last item. f runs like WithOnOpen's.
func WithOnError(f func(err error, retryIn time.Duration)) Option {
	return func(c *config) { c.onError = f }
}

// equalJitter returns a random duration between d/2 and d.
func equalJitter(d time.Duration) time.Duration {
	half := d / 2
	if half <= 0 {
		return d
	}
	return d - rand.N(half+1)
}
