package encoder_test

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rxsse/rxsse/encoder"
)

func ExampleEncoder() {
	enc := encoder.NewEncoder(os.Stdout)
	_ = enc.Encode(encoder.MessageEvent{Data: map[string]string{"hello": "world"}, ID: "1"})
	_ = enc.Encode(encoder.MessageEvent{Type: "status", Data: "line one\nline two", Retry: 5 * time.Second})
	_ = enc.Encode(encoder.MessageEvent{Comment: "keep-alive"})
	// Output:
	// id: 1
	// data: {"hello":"world"}
	//
	// event: status
	// retry: 5000
	// data: line one
	// data: line two
	//
	// : keep-alive
}

func ExampleFieldError() {
	err := encoder.NewEncoder(os.Stdout).Encode(encoder.MessageEvent{ID: "1\ndata: injected", Data: "x"})
	var fe *encoder.FieldError
	fmt.Println(errors.As(err, &fe), fe.Field, errors.Is(err, encoder.ErrInvalidID))
	fmt.Println(err)
	// Output:
	// true id true
	// encoder: invalid id: id must not contain CR, LF or NUL
}
