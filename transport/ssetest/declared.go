package ssetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/transport"
)

// ExpectDeclared reads n events from st, or every event until the stream
// ends when n is negative, and fails the test for each event that decl (a
// route's transport.Declaration, from transport.Declared or
// controller.Describe) does not declare: an event type no
// transport.Emits names, or data that check rejects. It returns the events
// read. The transport's own "error" frame is always declared, as every
// stream may end with one.
//
// check gets each event of a declared type with its declaration. A nil
// check decodes the data as encoding/json would into a value of the
// declared Go type, refusing unknown fields; data declared as a string (or
// []byte, or any) is taken as it is. The openapi module's openapitest
// package has a check that validates the data against the route's
// generated JSON Schema instead, with a validator independent of the code
// that generated it.
func ExpectDeclared(t testing.TB, st *Stream, decl transport.Declaration, n int, check func(encoder.Event, transport.EventType) error) []encoder.Event {
	t.Helper()
	if check == nil {
		check = decodes
	}
	var events []encoder.Event
	for n < 0 || len(events) < n {
		ev, err := st.Next()
		if n < 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if n < 0 {
				t.Fatalf("after %d events: %v", len(events), err)
			}
			t.Fatalf("after %d of %d events: %v", len(events), n, err)
		}
		events = append(events, ev)
		if err := checkDeclared(ev, decl, check); err != nil {
			t.Errorf("event %d (event: %s, id: %s, data: %.200s): %v", len(events), ev.Type, ev.LastEventID, ev.Data, err)
		}
	}
	return events
}

// errorFrame is the transport's own error frame, declared on every route.
var errorFrame = transport.EventType{Name: "error", Data: reflect.TypeFor[string]()}

func checkDeclared(ev encoder.Event, decl transport.Declaration, check func(encoder.Event, transport.EventType) error) error {
	for _, et := range decl.Events {
		if et.Name == ev.Type {
			return check(ev, et)
		}
	}
	if ev.Type == errorFrame.Name {
		return check(ev, errorFrame)
	}
	names := make([]string, len(decl.Events))
	for i, et := range decl.Events {
		names[i] = et.Name
	}
	return fmt.Errorf("undeclared event type %q (the route declares %q)", ev.Type, names)
}

var bytesType = reflect.TypeFor[[]byte]()

// decodes is ExpectDeclared's default check: the data decodes, as JSON
// with no unknown field, into a value of the declared type.
func decodes(ev encoder.Event, et transport.EventType) error {
	t := et.Data
	if t == nil || t.Kind() == reflect.String || t == bytesType || t.Kind() == reflect.Interface {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(ev.Data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(reflect.New(t).Interface()); err != nil {
		return fmt.Errorf("data is no %v: %w", t, err)
	}
	if dec.More() {
		return fmt.Errorf("data is no %v: more than one JSON value", t)
	}
	return nil
}
