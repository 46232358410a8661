package encoder_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rxsse/rxsse/encoder"
)

// FuzzRoundTrip checks the encoder's central promise: for any MessageEvent it
// accepts, a conforming parser reads back exactly one event with the type,
// data (after line-end normalisation) and id that were sent, and nothing
// else; for any it rejects, nothing is written.
func FuzzRoundTrip(f *testing.F) {
	f.Add("hello", "1", "", "", int64(0))
	f.Add("multi\nline\r\ndata\rhere", "id-2", "update", "a comment\nspanning lines", int64(1500))
	f.Add("", "", "", "", int64(0))
	f.Add("data: injected\n\nevent: evil", "x", "t", "\r\n", int64(-5))
	f.Add("\ufeffbom", "nul\x00", "ty\npe", ":colon", int64(3000))
	f.Add("trailing\n", "\u00e9", "\u00e9v\u00e9nement", "\n", int64(1))
	f.Fuzz(func(t *testing.T, data, id, typ, comment string, retryMS int64) {
		ev := encoder.MessageEvent{Data: data, ID: id, Type: typ, Comment: comment, Retry: time.Duration(retryMS) * time.Millisecond}
		var buf bytes.Buffer
		err := encoder.NewEncoder(&buf).Encode(ev)
		if err != nil {
			var fe *encoder.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("rejection is not a *FieldError: %v", err)
			}
			if buf.Len() != 0 {
				t.Fatalf("a rejected event wrote %q", buf.String())
			}
			if !strings.ContainsAny(id, "\r\n\x00") && !strings.ContainsAny(typ, "\r\n") {
				t.Fatalf("rejected a valid event: %v", err)
			}
			return
		}
		dec := encoder.NewDecoder(&buf)
		got, err := dec.Decode()
		if err != nil {
			t.Fatalf("decode %q: %v", buf.String(), err)
		}
		if !utf8Safe(data, id, typ) {
			// The parser decodes UTF-8 with replacement, as browsers do;
			// only valid text round-trips byte for byte.
			return
		}
		wantType := typ
		if wantType == "" {
			wantType = "message"
		}
		wantData := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(data)
		if got.Type != wantType || got.Data != wantData || got.LastEventID != id {
			t.Fatalf("round trip of %+v gave %+v", ev, got)
		}
		if want := time.Duration(ev.Retry.Milliseconds()) * time.Millisecond; ev.Retry > 0 {
			if got, seen := dec.Retry(); got != want || !seen {
				t.Fatalf("retry %v came back as %v (seen %v)", ev.Retry, got, seen)
			}
		}
		if extra, err := dec.Decode(); !errors.Is(err, io.EOF) {
			t.Fatalf("a second event came out: %+v, %v (wire %q)", extra, err, buf.String())
		}
	})
}

func utf8Safe(ss ...string) bool {
	for _, s := range ss {
		if strings.ToValidUTF8(s, "\uFFFD") != s {
			return false
		}
	}
	return true
}
