package eventsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
)

// Observe returns a cold observable of the events of the stream at url,
// read the way a browser's EventSource reads them: each item is an
// encoder.Event (its Type, Data and LastEventID as a browser's
// MessageEvent shows them). It is ObserveRequest with a GET request for
// url.
//
// Each subscription opens its own connection and keeps one open for as
// long as both ctx and the subscription's context (rxgo.WithContext) live,
// reconnecting after the stream ends or the network fails: it waits the
// reconnection time (the stream's retry field, at most 1 minute or
// WithBackoff's cap, else WithRetry's, never less than 100 ms), backs off
// while attempts keep failing or ending without an event (WithBackoff) and
// sends the last event id in Last-Event-ID. When either context ends, the connection is closed and
// the observable completes, leaving no goroutine behind.
//
// The observable ends with an error item, and stops for good, where a
// browser's EventSource does: on a status other than 200 (a *StatusError;
// errors.Is(err, ErrNoContent) for 204, the way a server says "stop"), on a
// media type other than text/event-stream or a charset other than UTF-8 (a
// *ContentTypeError), and on a last event id that cannot be sent in a
// header (a *LastEventIDError). It also ends with an error when the url is
// not a valid request URL, when an event exceeds WithMaxEventSize, and after
// WithMaxAttempts failed attempts in a row (ErrMaxAttempts).
func Observe(ctx context.Context, url string, opts ...Option) rxgo.Observable {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return rxgo.Thrown(fmt.Errorf("eventsource: %w", err))
	}
	return ObserveRequest(ctx, req, opts...)
}

// ObserveRequest is Observe for a stream opened by req: its method, URL,
// headers and body, for instance a POST stream, or one that needs an
// Authorization header. Every connection, reconnects included, sends a
// copy of req with Accept: text/event-stream and Cache-Control: no-cache
// unless req sets them, and Last-Event-ID, which the client manages (one
// in req is dropped). A body is sent again on every connection: req must
// then have a GetBody, as the requests that http.NewRequest makes from a
// bytes.Reader, bytes.Buffer or strings.Reader have; one with a body and no
// GetBody ends the observable at once with an error wrapping
// ErrBodyNotReplayable. The context of req is not used: ctx and the
// subscription's context are.
//
// The headers of req never leave its origin (scheme, host and port), since
// any of them may be a credential: after a redirect to another origin,
// neither the redirected request nor any reconnect to where it led carries
// one of them but Accept, Cache-Control and, with a body, Content-Type; the
// client's own Last-Event-ID still goes. A cookie jar set with WithClient
// still sends the cookies of each host, as a browser does.
func ObserveRequest(ctx context.Context, req *http.Request, opts ...Option) rxgo.Observable {
	cfg := newConfig(opts)
	if ctx == nil {
		ctx = context.Background()
	}
	if req == nil || req.URL == nil {
		return rxgo.Thrown(errors.New("eventsource: a nil request or request URL"))
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return rxgo.Thrown(fmt.Errorf("eventsource: %s %s: %w", req.Method, req.URL.Redacted(), ErrBodyNotReplayable))
	}
	// The template is copied once, so that later changes to req do not
	// reach the stream; each connection copies it again.
	tmpl := req.Clone(context.Background())
	return rxgo.Defer([]rxgo.Producer{func(observeCtx context.Context, next chan<- rxgo.Item) {
		// Stop on whichever context ends first: the one given to Observe or
		// the subscription's. AfterFunc links them without a goroutine.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(observeCtx, cancel)()
		s := &stream{
			cfg: &cfg, tmpl: tmpl, url: tmpl.URL, method: tmpl.Method, body: tmpl.GetBody,
			next: next, lastID: cfg.lastEventID, retry: cfg.retry,
		}
		s.client = s.guardedClient()
		s.run(ctx)
	}})
}

// stream is the state of one subscription: what a browser keeps in one
// EventSource object across its connections.
type stream struct {
	cfg    *config
	client *http.Client
	tmpl   *http.Request // the request the stream was opened with
	url    *url.URL      // where the next connection goes: where redirects led
	method string
	body   func() (io.ReadCloser, error) // nil: no body

	next     chan<- rxgo.Item
	lastID   string        // the last event id, sent as Last-Event-ID
	retry    time.Duration // the reconnection time
	failures int           // failed attempts since the last connection that opened
	quiet    int           // attempts in a row that delivered no event
}

// fatalError marks an error that stops the client for good.
type fatalError struct{ err error }

func (f *fatalError) Error() string { return f.err.Error() }

func (s *stream) run(ctx context.Context) {
	if !validID(s.lastID) {
		s.emit(ctx, rxgo.Error(&LastEventIDError{ID: s.lastID}))
		return
	}
	for {
		opened, delivered, err := s.connect(ctx)
		if ctx.Err() != nil {
			return
		}
		if f, ok := err.(*fatalError); ok {
			s.emit(ctx, rxgo.Error(f.err))
			return
		}
		if opened {
			s.failures = 0
		} else {
			s.failures++
			if n := s.cfg.maxAttempts; n > 0 && s.failures >= n {
				s.emit(ctx, rxgo.Error(fmt.Errorf("%w (%d in a row): %w", ErrMaxAttempts, s.failures, err)))
				return
			}
		}
		if delivered {
			s.quiet = 0
		} else {
			s.quiet++
		}
		wait := s.cfg.backoff(s.retry, s.quiet)
		if s.cfg.onError != nil {
			s.cfg.onError(err, wait)
		}
		if !s.sleep(ctx, wait) {
			return
		}
	}
}

// connect makes one connection and reads it to its end. It reports whether
// the connection opened (a 200 text/event-stream response), whether it
// delivered an event, and why it ended: a *fatalError stops the client.
func (s *stream) connect(ctx context.Context) (opened, delivered bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := s.request(ctx)
	if err != nil {
		return false, false, &fatalError{err}
	}
	var wd *watchdog
	if s.cfg.readTimeout > 0 {
		wd = newWatchdog(s.cfg.readTimeout, cancel)
		defer wd.stop()
	}
	wd.arm()
	resp, err := s.client.Do(req)
	wd.disarm(true) // the headers count as a line end
	if err != nil {
		if wd.expired() {
			err = ErrReadTimeout
		}
		return false, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, false, &fatalError{&StatusError{Status: resp.StatusCode}}
	}
	if ct := resp.Header.Get("Content-Type"); !isEventStream(ct) {
		return false, false, &fatalError{&ContentTypeError{ContentType: ct}}
	}
	// Like browsers, reconnect where the redirects, if any, led, with the
	// method they led to (a 303 turns a POST into a GET, without a body).
	s.url = resp.Request.URL
	if resp.Request.Method != s.method {
		s.method, s.body = resp.Request.Method, nil
	}
	if s.cfg.onOpen != nil {
		s.cfg.onOpen()
	}

	in := &body{r: resp.Body, wd: wd, limit: s.cfg.readLimit()}
	// Each connection's parser starts where the stream was, as a browser's
	// does: with the last event id and the reconnection time.
	dec := encoder.NewDecoder(in,
		encoder.WithMaxEventSize(s.cfg.maxEventSize),
		encoder.WithLastEventID(s.lastID),
		encoder.WithReconnectionTime(s.retry))
	for {
		ev, err := dec.Decode()
		s.lastID = dec.LastEventID()
		if retry, seen := dec.Retry(); seen {
			s.retry = s.cfg.serverRetry(retry)
		}
		switch {
		case err == io.EOF:
			return true, delivered, io.EOF // the server ended the response
		case errors.Is(err, encoder.ErrEventTooLarge):
			return true, delivered, &fatalError{fmt.Errorf("eventsource: %w", err)}
		case err != nil:
			if wd.expired() {
				err = ErrReadTimeout
			}
			return true, delivered, err
		}
		in.dispatched()
		delivered = true
		if !s.emit(ctx, rxgo.Of(ev)) {
			return true, delivered, ctx.Err()
		}
	}
}

// request builds the request of the next connection.
func (s *stream) request(ctx context.Context) (*http.Request, error) {
	req := s.tmpl.Clone(ctx)
	req.Method, req.URL = s.method, s.url
	req.Body, req.GetBody, req.ContentLength = nil, nil, 0
	if s.body != nil {
		body, err := s.body()
		if err != nil {
			return nil, fmt.Errorf("eventsource: the request body: %w", err)
		}
		req.Body, req.GetBody, req.ContentLength = body, s.body, s.tmpl.ContentLength
	}
	sameOrigin := origin(s.url) == origin(s.tmpl.URL)
	if !sameOrigin {
		req.Host = "" // the template's Host override names its own origin
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/event-stream")
	}
	if req.Header.Get("Cache-Control") == "" {
		req.Header.Set("Cache-Control", "no-cache")
	}
	if !sameOrigin {
		stripHeaders(req.Header, s.body != nil)
	}
	req.Header.Del("Last-Event-ID")
	if s.lastID != "" {
		if !validHeaderValue(s.lastID) {
			return nil, &LastEventIDError{ID: s.lastID}
		}
		req.Header.Set("Last-Event-ID", s.lastID)
	}
	return req, nil
}

// stripHeaders removes from h, the headers of a request to another origin
// than the stream's, every header the caller set, since any of them may be
// a credential (an API key as much as Authorization or Cookie). What stays
// is the client's own: Accept and Cache-Control, which ask for the stream,
// Last-Event-ID, which the client manages, and, when the request carries
// a body, Content-Type, which says what the body is.
func stripHeaders(h http.Header, body bool) {
	for k := range h {
		switch http.CanonicalHeaderKey(k) {
		case "Accept", "Cache-Control", "Last-Event-Id":
		case "Content-Type":
			if !body {
				delete(h, k)
			}
		default:
			delete(h, k)
		}
	}
}

// guardedClient returns a copy of the configured client whose redirects
// to another origin than the stream's carry none of the caller's headers.
// net/http strips Authorization and Cookie on such a hop, but only towards
// another domain, and copies every other header; this strips all of them
// on any change of scheme, host or port.
func (s *stream) guardedClient() *http.Client {
	c := *s.cfg.client
	check := c.CheckRedirect
	home := origin(s.tmpl.URL)
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if check != nil {
			if err := check(req, via); err != nil {
				return err
			}
		} else if len(via) >= 10 {
			return errors.New("stopped after 10 redirects") // net/http's default policy
		}
		if origin(req.URL) != home {
			stripHeaders(req.Header, req.Body != nil && req.Body != http.NoBody)
		}
		return nil
	}
	return &c
}

// origin returns the origin of u: scheme, host and port (the default port
// when u has none), lower case.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// validID reports whether an id can be written in an id field: it must not
// contain CR, LF (which end the line) or NUL (which makes it ignored).
func validID(id string) bool { return !strings.ContainsAny(id, "\r\n\x00") }

// emit sends one item, giving up when ctx ends. It reports whether it sent.
func (s *stream) emit(ctx context.Context, it rxgo.Item) bool {
	select {
	case s.next <- it:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleep waits d. It reports false if ctx ended first.
func (s *stream) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// isEventStream reports whether a Content-Type is one browsers accept for
// an event stream: the media type text/event-stream, in any case, with no
// charset parameter or charset=utf-8 (Chromium and WebKit refuse any other
// charset: the stream is always decoded as UTF-8).
func isEventStream(contentType string) bool {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return false
	}
	charset, ok := params["charset"]
	return mediaType == "text/event-stream" && (!ok || strings.EqualFold(charset, "utf-8"))
}

// validHeaderValue reports whether net/http will send v as a header value:
// no control characters but tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
