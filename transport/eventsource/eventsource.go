package eventsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
)

// Observe returns a cold observable of the events of the stream at url,
// read the way a browser's EventSource reads them: each item is an
// encoder.Event (its Type, Data and LastEventID as a browser's
// MessageEvent shows them).
//
// Each subscription opens its own connection and keeps one open for as
// long as both ctx and the subscription's context (rxgo.WithContext) live,
// reconnecting after the stream ends or the network fails: it waits the
// reconnection time (the stream's retry field, else WithRetry's), backs
// off on repeated failures (WithBackoff) and sends the last event id in
// Last-Event-ID. When either context ends, the connection is closed and
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
	cfg := newConfig(opts)
	if ctx == nil {
		ctx = context.Background()
	}
	return rxgo.Defer([]rxgo.Producer{func(observeCtx context.Context, next chan<- rxgo.Item) {
		// Stop on whichever context ends first: the one given to Observe or
		// the subscription's. AfterFunc links them without a goroutine.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(observeCtx, cancel)()
		s := &stream{cfg: &cfg, url: url, next: next, lastID: cfg.lastEventID, retry: cfg.retry}
		s.run(ctx)
	}})
}

// stream is the state of one subscription: what a browser keeps in one
// EventSource object across its connections.
type stream struct {
	cfg      *config
	url      string
	next     chan<- rxgo.Item
	lastID   string        // the last event id, sent as Last-Event-ID
	retry    time.Duration // the reconnection time
	failures int           // failed attempts since the last connection that opened
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
		opened, err := s.connect(ctx)
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
		wait := s.cfg.backoff(s.retry, s.failures)
		if s.cfg.onError != nil {
			s.cfg.onError(err, wait)
		}
		if !s.sleep(ctx, wait) {
			return
		}
	}
}

// connect makes one connection and reads it to its end. It reports whether
// the connection opened (a 200 text/event-stream response) and why it
// ended: a *fatalError stops the client.
func (s *stream) connect(ctx context.Context) (opened bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := s.request(ctx)
	if err != nil {
		return false, &fatalError{err}
	}
	var wd *watchdog
	if s.cfg.readTimeout > 0 {
		wd = newWatchdog(s.cfg.clock, s.cfg.readTimeout, cancel)
		defer wd.stop()
	}
	wd.arm()
	resp, err := s.cfg.client.Do(req)
	wd.disarm()
	if err != nil {
		if wd.expired() {
			err = ErrReadTimeout
		}
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, &fatalError{&StatusError{StatusCode: resp.StatusCode}}
	}
	if ct := resp.Header.Get("Content-Type"); !isEventStream(ct) {
		return false, &fatalError{&ContentTypeError{ContentType: ct}}
	}
	// Like browsers, reconnect where the redirects, if any, led.
	s.url = resp.Request.URL.String()
	if s.cfg.onOpen != nil {
		s.cfg.onOpen()
	}

	var body io.Reader = resp.Body
	if wd != nil {
		body = &watchedReader{r: body, wd: wd}
	}
	seeded := time.Duration(s.retry.Milliseconds()) * time.Millisecond
	body = io.MultiReader(strings.NewReader(seed(s.retry, s.lastID)), &bomStripper{r: body})
	dec := encoder.NewDecoder(body, encoder.WithMaxEventSize(s.cfg.maxEventSize))
	for {
		ev, err := dec.Decode()
		s.lastID = dec.LastEventID()
		if r := dec.Retry(); r != seeded {
			s.retry, seeded = r, r
		}
		switch {
		case err == io.EOF:
			return true, ErrStreamEnded
		case errors.Is(err, encoder.ErrEventTooLarge):
			return true, &fatalError{fmt.Errorf("eventsource: %w", err)}
		case err != nil:
			if wd.expired() {
				err = ErrReadTimeout
			}
			return true, err
		}
		if !s.emit(ctx, rxgo.Of(ev)) {
			return true, ctx.Err()
		}
	}
}

// request builds the request of the next connection.
func (s *stream) request(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("eventsource: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	for k, vs := range s.cfg.header {
		req.Header[k] = slices.Clone(vs) // the config is shared by every subscription
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

// emit sends one item, giving up when ctx ends. It reports whether it sent.
func (s *stream) emit(ctx context.Context, it rxgo.Item) bool {
	select {
	case s.next <- it:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleep waits d on the configured clock. It reports false if ctx ended
// first.
func (s *stream) sleep(ctx context.Context, d time.Duration) bool {
	t := s.cfg.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
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
