package encoder_test

import (
	"fmt"
	"strings"

	"github.com/rxsse/rxsse/encoder"
)

func ExampleDecoder() {
	stream := "retry: 3000\n" +
		": a comment, ignored\n" +
		"\n" +
		"id: 1\n" +
		"event: greeting\n" +
		"data: hello\n" +
		"data: world\n" +
		"\n" +
		"data: {\"n\":2}\n" +
		"\n" +
		"data: never dispatched: the stream ends before its blank line\n"

	dec := encoder.NewDecoder(strings.NewReader(stream))
	for ev, err := range dec.Events() {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%s %q (last id %q)\n", ev.Type, ev.Data, ev.LastEventID)
	}
	retry, _ := dec.Retry()
	fmt.Println("reconnect after", retry, "with Last-Event-ID", dec.LastEventID())
	// Output:
	// greeting "hello\nworld" (last id "1")
	// message "{\"n\":2}" (last id "1")
	// reconnect after 3s with Last-Event-ID 1
}

func ExampleDecoder_Decode() {
	dec := encoder.NewDecoder(strings.NewReader("event: tick\r\ndata: 1\r\n\r\n"))
	ev, err := dec.Decode()
	fmt.Printf("%+v %v\n", ev, err)
	_, err = dec.Decode()
	fmt.Println(err)
	// Output:
	// {Type:tick Data:1 LastEventID:} <nil>
	// EOF
}

// A client reading one stream over several connections starts each
// connection's Decoder with what the stream had set, as a browser does.
func ExampleWithLastEventID() {
	// The first connection set an id and a retry, then ended.
	first := encoder.NewDecoder(strings.NewReader("retry: 0\nid: 7\ndata: a\n\n"))
	for range first.Events() {
	}
	lastID := first.LastEventID()
	reconnect, seen := first.Retry()
	fmt.Printf("reconnect after %v (retry field seen: %v) with Last-Event-ID %s\n", reconnect, seen, lastID)

	// The next connection's events without an id still carry the last one.
	second := encoder.NewDecoder(strings.NewReader("data: b\n\n"),
		encoder.WithLastEventID(lastID), encoder.WithReconnectionTime(reconnect))
	for ev := range second.Events() {
		fmt.Printf("%q (last id %s)\n", ev.Data, ev.LastEventID)
	}
	// Output:
	// reconnect after 0s (retry field seen: true) with Last-Event-ID 7
	// "b" (last id 7)
}
