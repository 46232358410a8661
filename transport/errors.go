package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// HTTPError is an error that carries an HTTP status and a message that is
// safe to show to clients, NestJS's HttpException. Before the stream has
// started it becomes the response status with a JSON body; after, its
// message is sent in the error frame. Other errors show clients no message
// of their own: the status text of their StatusCode() int method if they
// have one, else 500 "Internal server error".
type HTTPError struct {
	// Status is the HTTP status code.
	Status int
	// Message is shown to the client.
	Message string
	// Body, when not nil, is what the client gets in place of the default
	// NestJS body, as an object given to NestJS's HttpException is: before
	// the stream, the JSON body of the error response (a json.RawMessage or
	// []byte as it is, anything else marshalled); after it, the data of the
	// error frame (a string, []byte or json.RawMessage as it is, anything
	// else as JSON).
	Body any
	// Err is an optional cause, logged but never shown.
	Err error
}

// NewHTTPError returns an HTTPError with the given status and message; an
// empty message uses the status text.
func NewHTTPError(status int, message string) *HTTPError {
	if message == "" {
		message = http.StatusText(status)
	}
	return &HTTPError{Status: status, Message: message}
}

// Error implements error.
func (e *HTTPError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

// StatusCode returns the HTTP status.
func (e *HTTPError) StatusCode() int { return e.Status }

// Unwrap returns the cause.
func (e *HTTPError) Unwrap() error { return e.Err }

// errCannotFlush reports a ResponseWriter that cannot flush, usually one
// wrapped by middleware that implements neither http.Flusher nor Unwrap.
var errCannotFlush = errors.New("transport: the ResponseWriter cannot flush; middleware must implement http.Flusher or Unwrap")

const internalMessage = "Internal server error"

// classify returns the status, client-visible message and custom body (nil
// for the default) for err: an HTTPError shows its own message and body,
// any other error with a StatusCode method shows only the status text, and
// everything else is a 500.
func classify(err error) (status int, message string, body any, safe bool) {
	var he *HTTPError
	if errors.As(err, &he) {
		msg := he.Message
		if msg == "" {
			msg = http.StatusText(he.Status)
		}
		return validStatus(he.Status), msg, he.Body, true
	}
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		s := validStatus(sc.StatusCode())
		return s, http.StatusText(s), nil, false
	}
	return http.StatusInternalServerError, internalMessage, nil, false
}

func validStatus(s int) int {
	if s < 400 || s > 599 {
		return http.StatusInternalServerError
	}
	return s
}

// WriteError answers a plain request with err as an SSE route would before
// its stream starts: the status and the NestJS-shaped JSON body
// {"statusCode":404,"message":"no such room","error":"Not Found"}. An
// HTTPError shows its status and message; any other error with a
// StatusCode() int method shows its status and the status text; everything
// else is 500 "Internal server error". Use it in guards (middleware) and
// plain routes, so every route of an API fails alike. An HTTPError's Body,
// if set, replaces the default body. It logs nothing. A HEAD request gets
// the headers only.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, message, body, _ := classify(err)
	if body == nil {
		body = nestBody(status, message)
	}
	writeJSON(w, r, status, body)
}

// nestError is the body NestJS's default exception filter sends.
type nestError struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Error      string `json:"error,omitempty"`
}

func nestBody(status int, message string) nestError {
	body := nestError{StatusCode: status, Message: message}
	if text := http.StatusText(status); !strings.EqualFold(text, message) {
		body.Error = text
	}
	return body
}

// writeJSON writes an error response with body as JSON.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, body any) {
	var b []byte
	switch v := body.(type) {
	case json.RawMessage:
		b = v
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			status = http.StatusInternalServerError
			b, _ = json.Marshal(nestBody(status, internalMessage))
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r == nil || r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}
