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
