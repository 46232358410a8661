package encoder_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/rxsse/rxsse/encoder"
)

// repeatReader reads its bytes over and over, for ever.
type repeatReader struct {
	b   []byte
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}

// scriptReader returns its chunks one per Read call and fails the test if
// it is read once more: it checks the Decoder reads no more than it needs.
type scriptReader struct {
	t      *testing.T
	chunks []string
}

func (r *scriptReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		r.t.Error("Decode read past the input it needed")
		return 0, errors.New("read past the script")
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// dataErrReader returns its data and its error from the same Read call.
type dataErrReader struct {
	data string
	err  error
}

func (r *dataErrReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	if r.data == "" {
		return n, r.err
	}
	return n, nil
}

func TestDecoderDispatchesWithoutReadingAhead(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   encoder.Event
	}{
		{"an LF blank line ends the event", []string{"data: a\n\n"}, encoder.Event{Type: "message", Data: "a"}},
		{"a CR blank line ends the event", []string{"data: a\r\r"}, encoder.Event{Type: "message", Data: "a"}},
		{"a CR at the end of a read ends the event", []string{"data: a\r\n\r"}, encoder.Event{Type: "message", Data: "a"}},
		{"an event split over reads ends at its blank line", []string{"id: 1\r", "\nevent: e\r", "\n", "data: a\r", "\n\r"},
			encoder.Event{Type: "e", Data: "a", LastEventID: "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := encoder.NewDecoder(&scriptReader{t: t, chunks: tt.chunks})
			got, err := d.Decode()
			if err != nil || got != tt.want {
				t.Fatalf("Decode() = %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
}

func TestDecoderLongLines(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB, past the 64 KiB line limit of some peers
	in := "data: " + long + "\r: " + long + "\r\ndata: b\rid: x\r\rdata: " + long[:100<<10] + "\n\n"
	want := []encoder.Event{
		{Type: "message", Data: long + "\nb", LastEventID: "x"},
		{Type: "message", Data: long[:100<<10], LastEventID: "x"},
	}
	readers := map[string]io.Reader{
		"whole":     strings.NewReader(in),
		"halves":    iotest.HalfReader(strings.NewReader(in)),
		"one byte":  iotest.OneByteReader(strings.NewReader(in)),
		"4001-byte": &chunkReader{chunks: chunk([]byte(in), 4001)},
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			var got []encoder.Event
			for ev, err := range encoder.NewDecoder(r).Events() {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ev)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d events, want %d, or they differ", len(got), len(want))
			}
		})
	}
}

func chunk(b []byte, size int) [][]byte {
	var chunks [][]byte
	for len(b) > size {
		chunks = append(chunks, b[:size:size])
		b = b[size:]
	}
	return append(chunks, b)
}

func TestDecoderEventTooLarge(t *testing.T) {
	tests := []struct {
		name  string
		r     func() io.Reader
		limit int
	}{
		{"an endless line", func() io.Reader { return &repeatReader{b: []byte("x")} }, 1000},
		{"endless data lines", func() io.Reader { return &repeatReader{b: []byte("data: x\n")} }, 1 << 16},
		{"endless comment lines", func() io.Reader { return &repeatReader{b: []byte(":\r\n")} }, 1 << 16},
		{"a line one byte too long", func() io.Reader { return strings.NewReader("data: " + strings.Repeat("x", 15) + "\n\n") }, 20},
		{"a line one byte too long, read a byte at a time",
			func() io.Reader {
				return iotest.OneByteReader(strings.NewReader("data: " + strings.Repeat("x", 15) + "\n\n"))
			}, 20},
		{"lines one byte too long together", func() io.Reader { return strings.NewReader("data: 1234567\n: 123456\n\n") }, 20},
		{"a block after a small one", func() io.Reader { return strings.NewReader("data: a\n\ndata: 123456789012345\n\n") }, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := encoder.NewDecoder(tt.r(), encoder.WithMaxEventSize(tt.limit))
			var err error
			for range 10 {
				if _, err = d.Decode(); err != nil {
					break
				}
			}
			if !errors.Is(err, encoder.ErrEventTooLarge) {
				t.Fatalf("Decode() error = %v, want ErrEventTooLarge", err)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tt.limit)) {
				t.Errorf("error %q does not say the limit %d", err, tt.limit)
			}
			if _, again := d.Decode(); again != err {
				t.Errorf("Decode() after failing = %v, want the same error %v", again, err)
			}
		})
	}
}

func TestDecoderEventSizeLimitIsPerBlock(t *testing.T) {
	// Blocks of ten 20-byte lines:
	// each block is right at the limit.
	var in strings.Builder
	for range 10 {
		for range 10 {
			in.WriteString("data: 01234567890123\n")
		}
		in.WriteString("\n")
	}
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(in.String()),
		"one byte": iotest.OneByteReader(strings.NewReader(in.String())),
	} {
		t.Run(name, func(t *testing.T) {
			n := 0
			for _, err := range encoder.NewDecoder(r, encoder.WithMaxEventSize(200)).Events() {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != 10 {
				t.Errorf("decoded %d events, want 10", n)
			}
		})
	}
}

func TestDecoderDefaultMaxEventSize(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 8 MiB")
	}
	in := "data: " + strings.Repeat("x", encoder.DefaultMaxEventSize) + "\n\n"
	if _, err := encoder.NewDecoder(strings.NewReader(in)).Decode(); !errors.Is(err, encoder.ErrEventTooLarge) {
		t.Errorf("with the default limit: Decode() error = %v, want ErrEventTooLarge", err)
	}
	ev, err := encoder.NewDecoder(strings.NewReader(in), encoder.WithMaxEventSize(0)).Decode()
	if err != nil || len(ev.Data) != encoder.DefaultMaxEventSize {
		t.Errorf("without a limit: Decode() = %d bytes of data, %v", len(ev.Data), err)
	}
}

func TestDecoderReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		r    io.Reader
		want []string // data of the events before the error
		err  error
	}{
		{"an unexpected EOF after an event", io.MultiReader(strings.NewReader("data: a\n\ndata: b\n"), iotest.ErrReader(io.ErrUnexpectedEOF)),
			[]string{"a"}, io.ErrUnexpectedEOF},
		{"an error with the last data", &dataErrReader{"data: a\n\ndata: b\n\ndata: c", boom}, []string{"a", "b"}, boom},
		{"an error at once", iotest.ErrReader(boom), nil, boom},
		{"a reader that returns nothing", iotest.ErrReader(nil), nil, io.ErrNoProgress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := encoder.NewDecoder(tt.r)
			var got []string
			var err error
			for {
				var ev encoder.Event
				if ev, err = d.Decode(); err != nil {
					break
				}
				got = append(got, ev.Data)
			}
			if !slices.Equal(got, tt.want) || !errors.Is(err, tt.err) {
				t.Fatalf("got %q then %v, want %q then %v", got, err, tt.want, tt.err)
			}
			if _, again := d.Decode(); again != err {
				t.Errorf("Decode() after failing = %v, want the same error %v", again, err)
			}
		})
	}
}

func TestDecoderEvents(t *testing.T) {
	in := "data: a\n\ndata: b\n\ndata: c\n\n"
	t.Run("stops at the end", func(t *testing.T) {
		var got []string
		for ev, err := range encoder.NewDecoder(strings.NewReader(in)).Events() {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev.Data)
		}
		if !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Errorf("got %q", got)
		}
	})
	t.Run("yields an error once, last", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader(in), iotest.ErrReader(io.ErrUnexpectedEOF))
		var got []string
		for ev, err := range encoder.NewDecoder(r).Events() {
			if err != nil {
				got = append(got, "error: "+err.Error())
				continue
			}
			got = append(got, ev.Data)
		}
		want := []string{"a", "b", "c", "error: " + io.ErrUnexpectedEOF.Error()}
		if !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("leaves the rest after a break", func(t *testing.T) {
		d := encoder.NewDecoder(strings.NewReader(in))
		for range d.Events() {
			break
		}
		if ev, err := d.Decode(); err != nil || ev.Data != "b" {
			t.Errorf("Decode() after a break = %+v, %v, want b", ev, err)
		}
	})
}

func TestDecoderRetryAndLastEventIDAsTheStreamGoes(t *testing.T) {
	d := encoder.NewDecoder(strings.NewReader("retry: 1500\nid: 1\n\nid: 2\ndata: x\n\nid: 3\nretry: 99999999999999999999\ndata: y"))
	if r, seen := d.Retry(); r != 0 || seen || d.LastEventID() != "" {
		t.Fatalf("before decoding: Retry() = %v, %v, LastEventID() = %q", r, seen, d.LastEventID())
	}
	ev, err := d.Decode()
	if r, seen := d.Retry(); err != nil || ev.Data != "x" || r != 1500*time.Millisecond || !seen || d.LastEventID() != "2" {
		t.Fatalf("after the first event: %+v, %v, Retry() = %v, %v, LastEventID() = %q", ev, err, r, seen, d.LastEventID())
	}
	if _, err := d.Decode(); err != io.EOF {
		t.Fatalf("Decode() = %v, want io.EOF", err)
	}
	if r, _ := d.Retry(); r != math.MaxInt64 || d.LastEventID() != "2" {
		t.Errorf("at the end: Retry() = %v, LastEventID() = %q, want the largest duration and 2", r, d.LastEventID())
	}
}

// refDecode transcribes the spec as plainly as possible, over the whole
// input at once, for FuzzDecoder to hold the Decoder against.
func refDecode(in []byte) (events []vectorEvent, retryMillis int64, lastID string) {
	var lines []string
	var line []rune
	text := []rune(whatwgUTF8Decode(in))
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			fallthrough
		case '\n':
			lines = append(lines, string(line))
			line = line[:0]
		default:
			line = append(line, text[i])
		}
	}
	// What is left in line never ended: it is discarded.
	events = []vectorEvent{}
	var data, typ, id string
	for _, line := range lines {
		if line == "" {
			lastID = id
			if data == "" {
				typ = ""
				continue
			}
			data = strings.TrimSuffix(data, "\n")
			ev := vectorEvent{Type: "message", Data: data, LastEventID: lastID}
			if typ != "" {
				ev.Type = typ
			}
			events = append(events, ev)
			data, typ = "", ""
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, ok := strings.Cut(line, ":")
		if ok {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "event":
			typ = value
		case "data":
			data += value + "\n"
		case "id":
			if !strings.ContainsRune(value, 0) {
				id = value
			}
		case "retry":
			if value != "" && strings.Trim(value, "0123456789") == "" {
				ms, err := strconv.ParseInt(value, 10, 64)
				if err != nil || ms > math.MaxInt64/int64(time.Millisecond) {
					ms = time.Duration(math.MaxInt64).Milliseconds()
				}
				retryMillis = ms
			}
		}
	}
	return events, retryMillis, lastID
}

// whatwgUTF8Decode is the WHATWG Encoding standard's UTF-8 decode, byte by
// byte: a leading BOM is dropped and errors become U+FFFD.
func whatwgUTF8Decode(in []byte) string {
	in = bytes.TrimPrefix(in, []byte("\xEF\xBB\xBF"))
	var out []rune
	var cp rune
	needed, seen := 0, 0
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i < len(in); {
		b := in[i]
		if needed == 0 {
			switch {
			case b <= 0x7F:
				out = append(out, rune(b))
			case 0xC2 <= b && b <= 0xDF:
				needed, cp = 1, rune(b&0x1F)
			case 0xE0 <= b && b <= 0xEF:
				if b == 0xE0 {
					lower = 0xA0
				}
				if b == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(b&0xF)
			case 0xF0 <= b && b <= 0xF4:
				if b == 0xF0 {
					lower = 0x90
				}
				if b == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(b&0x7)
			default:
				out = append(out, utf8.RuneError)
			}
			i++
			continue
		}
		if b < lower || b > upper {
			cp, needed, seen, lower, upper = 0, 0, 0, 0x80, 0xBF
			out = append(out, utf8.RuneError)
			continue // b is processed again
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(b&0x3F)
		seen++
		i++
		if seen == needed {
			out = append(out, cp)
			cp, needed, seen = 0, 0, 0
		}
	}
	if needed != 0 {
		out = append(out, utf8.RuneError)
	}
	return string(out)
}

func FuzzDecoder(f *testing.F) {
	for _, v := range readStreamVectors(f) {
		f.Add(v.bytes())
	}
	f.Add([]byte("\xEF\xBB\xBF\xEF\xBB\xBFdata:\xF0\x9F\x98\r\r\n\r"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantRetry, wantID := refDecode(in)
		readers := map[string]io.Reader{
			"whole":    bytes.NewReader(in),
			"one byte": iotest.OneByteReader(bytes.NewReader(in)),
		}
		if len(in) > 1 {
			i := int(in[len(in)-1]) % len(in)
			readers[fmt.Sprintf("split at %d", i)] = &chunkReader{chunks: [][]byte{in[:i:i], in[i:]}}
		}
		for how, r := range readers {
			got, retry, id, err := decodeAll(r, encoder.WithMaxEventSize(0))
			if err != nil {
				t.Fatalf("%s: %v", how, err)
			}
			if !slices.Equal(got, want) || retry != wantRetry || id != wantID {
				t.Fatalf("%s: input %q\n got %q, retry %d, id %q\nwant %q, retry %d, id %q",
					how, in, got, retry, id, want, wantRetry, wantID)
			}
		}
	})
}

// TestDecoderMatchesReferenceOnLongStreams drives the Decoder's buffer
// (growing, compacting, lines ending at a read's edge) with a long stream
// of short and long lines cut into reads of random sizes.
func TestDecoderMatchesReferenceOnLongStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fields := []string{"data: ", "data:", "data", "id: ", "event: ", "retry: ", ": ", "x: ", ""}
	endings := []string{"\n", "\r", "\r\n"}
	values := []string{"", "1", "ab", "\xE2\x82", "\xEF\xBB\xBF"}
	long := []string{strings.Repeat("v", 5000), strings.Repeat("w", 70000)}
	var in []byte
	for range 3000 {
		if rng.IntN(4) > 0 { // else a blank line
			in = append(in, fields[rng.IntN(len(fields))]...)
			if rng.IntN(50) == 0 {
				in = append(in, long[rng.IntN(len(long))]...)
			} else {
				in = append(in, values[rng.IntN(len(values))]...)
			}
		}
		in = append(in, endings[rng.IntN(len(endings))]...)
	}
	want, wantRetry, wantID := refDecode(in)
	if len(want) < 100 {
		t.Fatalf("the stream makes only %d events", len(want))
	}
	for _, maxRead := range []int{1, 7, 4096, 100000} {
		var chunks [][]byte
		for rest := in; len(rest) > 0; {
			n := min(1+rng.IntN(maxRead), len(rest))
			chunks = append(chunks, rest[:n:n])
			rest = rest[n:]
		}
		got, retry, id, err := decodeAll(&chunkReader{chunks: chunks}, encoder.WithMaxEventSize(0))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || retry != wantRetry || id != wantID {
			t.Errorf("reads of up to %d bytes: got %d events, retry %d, id %q; want %d events, retry %d, id %q",
				maxRead, len(got), retry, id, len(want), wantRetry, wantID)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	const n = 1000
	var stream bytes.Buffer
	for i := range n {
		fmt.Fprintf(&stream, "id: %d\nevent: price\ndata: {\"id\":%d,\"symbol\":\"ACME\",\"price\":123.45,\"tags\":[\"a\",\"b\"]}\n\n", i, i)
	}
	d := encoder.NewDecoder(&repeatReader{b: stream.Bytes()})
	b.SetBytes(int64(stream.Len() / n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecoderStartState(t *testing.T) {
	t.Run("the last event id it starts with is carried and sent until the stream sets another", func(t *testing.T) {
		d := encoder.NewDecoder(strings.NewReader("data: a\n\nid\ndata: b\n\n"), encoder.WithLastEventID("41"))
		if got := d.LastEventID(); got != "41" {
			t.Fatalf("LastEventID() before decoding = %q, want 41", got)
		}
		var got []encoder.Event
		for ev, err := range d.Events() {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev)
		}
		want := []encoder.Event{{Type: "message", Data: "a", LastEventID: "41"}, {Type: "message", Data: "b"}}
		if !slices.Equal(got, want) || d.LastEventID() != "" {
			t.Errorf("got %+v, LastEventID() %q; want %+v and an empty id", got, d.LastEventID(), want)
		}
	})
	for _, tc := range []struct {
		name      string
		in        string
		opts      []encoder.DecoderOption
		want      time.Duration
		wantFound bool
	}{
		{"no retry field and no start value", "data: a\n\n", nil, 0, false},
		{"retry: 0 is told from no retry field", "retry: 0\n\n", nil, 0, true},
		{"the start value until a retry field", "data: a\n\n", []encoder.DecoderOption{encoder.WithReconnectionTime(3 * time.Second)}, 3 * time.Second, false},
		{"a retry field replaces the start value", "retry: 0\n\n", []encoder.DecoderOption{encoder.WithReconnectionTime(3 * time.Second)}, 0, true},
		{"a bogus retry field keeps the start value", "retry: 1x\nretry:\nretry\n\n", []encoder.DecoderOption{encoder.WithReconnectionTime(time.Second)}, time.Second, false},
		{"nil options are ignored", "retry: 7\n\n", []encoder.DecoderOption{nil, encoder.WithMaxEventSize(100), nil}, 7 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := encoder.NewDecoder(strings.NewReader(tc.in), tc.opts...)
			for _, err := range d.Events() {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got, seen := d.Retry(); got != tc.want || seen != tc.wantFound {
				t.Errorf("Retry() = %v, %v; want %v, %v", got, seen, tc.want, tc.wantFound)
			}
		})
	}
}

// The Decoder's options.
var (
	_ encoder.DecoderOption = encoder.WithMaxEventSize(1)
	_ encoder.DecoderOption = encoder.WithLastEventID("1")
	_ encoder.DecoderOption = encoder.WithReconnectionTime(time.Second)
)

// TestDecoderLinesReadInPieces puts every kind of field content across the
// edge where the Decoder hands a long line over in pieces (its 64 KiB read
// buffer): split UTF-8 sequences, invalid bytes, a NUL in an id, a non-digit
// in a retry. The result must be the reference's, read whole or in chunks.
func TestDecoderLinesReadInPieces(t *testing.T) {
	const edge = 64 << 10
	templates := map[string]func(k int) string{
		"data with a 3-byte character": func(k int) string { return "data: " + strings.Repeat("a", k-6) + "€€€" },
		"data with a 4-byte character": func(k int) string { return "data:" + strings.Repeat("a", k-5) + "\U0001F600\U0001F600" },
		"data with a truncated sequence": func(k int) string {
			return "data: " + strings.Repeat("a", k-6) + "\xE2\x82a\xF0\x9F\x98"
		},
		"an event type with a character": func(k int) string { return "event: " + strings.Repeat("t", k-7) + "éé" },
		"an id with a NUL":               func(k int) string { return "id: " + strings.Repeat("i", k-4) + "\x00i" },
		"an id without a NUL":            func(k int) string { return "id: " + strings.Repeat("i", k-4) + "ü" },
		"a retry with a letter":          func(k int) string { return "retry: " + strings.Repeat("1", k-7) + "x1" },
		"a retry of digits":              func(k int) string { return "retry: " + strings.Repeat("0", k-7) + "12" },
		"a comment":                      func(k int) string { return ": " + strings.Repeat("c", k) },
		"an unknown long field name":     func(k int) string { return strings.Repeat("data", k/4) + ": x" },
	}
	for name, tmpl := range templates {
		t.Run(name, func(t *testing.T) {
			// Each template's special bytes start at k: k from edge-3 to edge
			// puts them across the edge or right after it.
			for k := edge - 3; k <= edge+1; k++ {
				in := []byte("retry: 5\nid: old\n" + tmpl(k) + "\ndata: end\n\n" + tmpl(k) + "\r\n\r\n")
				want, wantRetry, wantID := refDecode(in)
				for how, r := range map[string]io.Reader{
					"whole":       bytes.NewReader(in),
					"4001 chunks": &chunkReader{chunks: chunk(in, 4001)},
				} {
					got, retry, id, err := decodeAll(r)
					if err != nil {
						t.Fatalf("k=%d %s: %v", k, how, err)
					}
					if !slices.Equal(got, want) || retry != wantRetry || id != wantID {
						t.Fatalf("k=%d %s: got %d events, retry %d, id of %d bytes; want %d, %d, %d bytes",
							k, how, len(got), retry, len(id), len(want), wantRetry, len(wantID))
					}
				}
			}
		})
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDecoderMemoryStaysNearTheEventSizeBound bounds everything the
// Decoder allocates, which bounds its peak memory, while it reads a line
// far past the event size bound, or an event just under it.
func TestDecoderMemoryStaysNearTheEventSizeBound(t *testing.T) {
	const limit = 16 << 20
	pattern := []byte(strings.Repeat("0123456789abcdef", 1<<12)) // one copy fills a read
	for _, tc := range []struct {
		name    string
		field   string
		size    int
		wantErr error
	}{
		{"a 40 MiB data line", "data: ", 40 << 20, encoder.ErrEventTooLarge},
		{"a 40 MiB comment line", ": ", 40 << 20, encoder.ErrEventTooLarge},
		{"a 40 MiB id line", "id: ", 40 << 20, encoder.ErrEventTooLarge},
		{"an event of 15 MiB", "data: ", 15 << 20, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := io.MultiReader(strings.NewReader(tc.field),
				io.LimitReader(&repeatReader{b: pattern}, int64(tc.size)),
				strings.NewReader("\n\n"))
			var ev encoder.Event
			var err error
			n := allocated(func() {
				ev, err = encoder.NewDecoder(r, encoder.WithMaxEventSize(limit)).Decode()
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Decode() error %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && len(ev.Data) != tc.size {
				t.Fatalf("got %d bytes of data, want %d", len(ev.Data), tc.size)
			}
			t.Logf("allocated %.1f MiB for a %d MiB bound", float64(n)/(1<<20), limit>>20)
			if n >= limit*3/2 {
				t.Errorf("allocated %d bytes, want less than 1.5 times the %d-byte bound", n, limit)
			}
		})
	}
}
