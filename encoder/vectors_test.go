package encoder_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/rxsse/rxsse/encoder"
)

// The event stream vectors in testdata/vectors.json say what a conforming
// client (a browser's EventSource, per WHATWG HTML §9.2.6) makes of a
// stream. Other packages and tests reuse them: the Go client, and the
// differential test that feeds each input to a real browser.
//
// The file is a JSON array of objects:
//
//	name         a sentence saying what the vector checks; unique.
//	input        the stream, as a JSON string (its UTF-8 bytes), or
//	inputBase64  the stream's bytes in standard base64, for input that is
//	             not valid UTF-8. Exactly one of the two is present.
//	events       the events dispatched, in order, each
//	             {"type", "data", "lastEventId"}, as MessageEvent.type,
//	             .data and .lastEventId show them in a browser.
//	retry        the reconnection time in milliseconds the stream set last,
//	             0 if it set none. A value too large for a Go
//	             time.Duration is given as 9223372036854 (the saturated
//	             Duration); browsers do not expose it.
//	lastEventId  the last event ID string once the whole input is read:
//	             what a reconnecting client sends as Last-Event-ID.
//
// Every input is complete: the stream ends where the input ends, and a
// final block without its blank line is discarded.

type streamVector struct {
	Name        string        `json:"name"`
	Input       *string       `json:"input"`
	InputBase64 []byte        `json:"inputBase64"`
	Events      []vectorEvent `json:"events"`
	Retry       int64         `json:"retry"`
	LastEventID string        `json:"lastEventId"`
}

type vectorEvent struct {
	Type        string `json:"type"`
	Data        string `json:"data"`
	LastEventID string `json:"lastEventId"`
}

func (v streamVector) bytes() []byte {
	if v.Input != nil {
		return []byte(*v.Input)
	}
	return v.InputBase64
}

func readStreamVectors(t testing.TB) []streamVector {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var vs []streamVector
	if err := dec.Decode(&vs); err != nil {
		t.Fatalf("testdata/vectors.json: %v", err)
	}
	seen := map[string]bool{}
	for _, v := range vs {
		switch {
		case v.Name == "" || seen[v.Name]:
			t.Fatalf("testdata/vectors.json: missing or duplicate name %q", v.Name)
		case (v.Input == nil) == (v.InputBase64 == nil):
			t.Fatalf("testdata/vectors.json: %q: want exactly one of input and inputBase64", v.Name)
		case v.Events == nil:
			t.Fatalf("testdata/vectors.json: %q: missing events", v.Name)
		}
		seen[v.Name] = true
	}
	return vs
}

// decodeAll decodes r to its end and reports what a client would have seen.
func decodeAll(r io.Reader, opts ...encoder.DecoderOption) (events []vectorEvent, retryMillis int64, lastID string, err error) {
	d := encoder.NewDecoder(r, opts...)
	events = []vectorEvent{}
	for {
		ev, err := d.Decode()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			retry, _ := d.Retry()
			return events, retry.Milliseconds(), d.LastEventID(), err
		}
		events = append(events, vectorEvent{ev.Type, ev.Data, ev.LastEventID})
	}
}

// chunkReader returns its chunks one per Read call, then io.EOF.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

func TestDecoderVectors(t *testing.T) {
	for _, v := range readStreamVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			in := v.bytes()
			check := func(how string, r io.Reader) {
				t.Helper()
				events, retry, lastID, err := decodeAll(r)
				if err != nil {
					t.Fatalf("%s: Decode error %v", how, err)
				}
				if !slices.Equal(events, v.Events) {
					t.Errorf("%s: events\n got %q\nwant %q", how, events, v.Events)
				}
				if retry != v.Retry {
					t.Errorf("%s: Retry() = %dms, want %dms", how, retry, v.Retry)
				}
				if lastID != v.LastEventID {
					t.Errorf("%s: LastEventID() = %q, want %q", how, lastID, v.LastEventID)
				}
			}
			check("whole", bytes.NewReader(in))
			check("one byte at a time", iotest.OneByteReader(bytes.NewReader(in)))
			check("EOF with the last data", iotest.DataErrReader(bytes.NewReader(in)))
			for i := 1; i < len(in); i++ {
				r := &chunkReader{chunks: [][]byte{in[:i:i], in[i:]}}
				check(fmt.Sprintf("split at %d", i), r)
				if t.Failed() {
					return // one split is enough to show the bug
				}
			}
		})
	}
}
