package eventsource

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/rxsse/rxsse/encoder"
)

func TestBOMStripper(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"\xEF\xBB\xBF", ""},
		{"\xEF\xBB\xBFdata: x", "data: x"},
		{"\xEF\xBB\xBF\xEF\xBB\xBFdata", "\xEF\xBB\xBFdata"},
		{"\xEF\xBB", "\xEF\xBB"},
		{"\xEF\xBBdata", "\xEF\xBBdata"},
		{"\xEFx", "\xEFx"},
		{"data: \xEF\xBB\xBF", "data: \xEF\xBB\xBF"},
		{"d", "d"},
	} {
		for name, r := range map[string]func() io.Reader{
			"whole":      func() io.Reader { return bytes.NewReader([]byte(tc.in)) },
			"byte-wise":  func() io.Reader { return iotest.OneByteReader(bytes.NewReader([]byte(tc.in))) },
			"EOF early":  func() io.Reader { return iotest.DataErrReader(bytes.NewReader([]byte(tc.in))) },
			"half-empty": func() io.Reader { return iotest.HalfReader(bytes.NewReader([]byte(tc.in))) },
		} {
			got, err := io.ReadAll(&bomStripper{r: r()})
			if err != nil || string(got) != tc.want {
				t.Errorf("%s: %q read as %q, %v; want %q", name, tc.in, got, err, tc.want)
			}
		}
	}
	// A read error is returned after the bytes read before it.
	boom := errors.New("boom")
	got, err := io.ReadAll(&bomStripper{r: io.MultiReader(bytes.NewReader([]byte("\xEF")), iotest.ErrReader(boom))})
	if string(got) != "\xEF" || err != boom {
		t.Errorf("read %q, %v; want %q, boom", got, err, "\xEF")
	}
}

// The seed block sets what it must and nothing else: a decoder that reads
// it before a stream sees the stream as a browser's fresh parser, given the
// last event id and reconnection time, would.
func TestSeedStartsTheDecoderWhereTheStreamWas(t *testing.T) {
	for _, tc := range []struct {
		name    string
		retry   time.Duration
		lastID  string
		body    string
		want    []encoder.Event
		wantID  string
		wantRet time.Duration
	}{
		{"events carry the seeded id", 3 * time.Second, "7", "data: a\n\n",
			[]encoder.Event{{Type: "message", Data: "a", LastEventID: "7"}}, "7", 3 * time.Second},
		{"an empty id resets it", time.Second, "7", "id\ndata: a\n\n",
			[]encoder.Event{{Type: "message", Data: "a"}}, "", time.Second},
		{"ids with spaces survive", time.Second, " x ", "data: a\n\n",
			[]encoder.Event{{Type: "message", Data: "a", LastEventID: " x "}}, " x ", time.Second},
		{"retry: 0 is seen", time.Second, "", "retry: 0\n\n", nil, "", 0},
		{"the stream's BOM is still stripped", time.Second, "", "\xEF\xBB\xBFdata: a\n\n",
			[]encoder.Event{{Type: "message", Data: "a"}}, "", time.Second},
		{"the seed does not end the stream's first block", time.Second, "1", "data: a\ndata: b\n\n",
			[]encoder.Event{{Type: "message", Data: "a\nb", LastEventID: "1"}}, "1", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := io.MultiReader(bytes.NewReader([]byte(seed(tc.retry, tc.lastID))), &bomStripper{r: bytes.NewReader([]byte(tc.body))})
			dec := encoder.NewDecoder(r)
			var got []encoder.Event
			for ev, err := range dec.Events() {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ev)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("events %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("event %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			if dec.LastEventID() != tc.wantID || dec.Retry() != tc.wantRet {
				t.Errorf("last id %q, retry %v; want %q, %v", dec.LastEventID(), dec.Retry(), tc.wantID, tc.wantRet)
			}
		})
	}
}

func TestIsEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream":                  true,
		"Text/Event-Stream":                  true,
		"text/event-stream;":                 true,
		"text/event-stream; charset=utf-8":   true,
		"text/event-stream; charset=UTF-8":   true,
		`text/event-stream; charset="utf-8"`: true,
		"text/event-stream ; foo":            true,
		"text/event-stream; charset=latin1":  false,
		"text/event-stream; charset=utf8":    false,
		"text/event-streams":                 false,
		"text/plain":                         false,
		"":                                   false,
		"event-stream":                       false,
	} {
		if got := isEventStream(ct); got != want {
			t.Errorf("isEventStream(%q) = %v, want %v", ct, got, want)
		}
	}
}
