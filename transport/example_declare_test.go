package transport_test

import (
	"fmt"
	"net/http"

	"github.com/rxsse/rxsse/transport"
)

// Price is the data of a prices stream's events.
type Price struct {
	Symbol string  `json:"symbol"`
	Value  float64 `json:"value"`
}

// Declarations say what a route sends and reads; they change nothing in
// how it is served. Declared reads them back, as controller.Describe does
// for every route.
func ExampleEmits() {
	opts := []transport.Option{
		transport.Emits[Price](""),            // unnamed events: onmessage
		transport.Emits[string]("halted"),     // addEventListener("halted", ...)
		transport.Errors(http.StatusNotFound), // an unknown symbol
	}
	d := transport.Declared(opts...)
	for _, ev := range d.Events {
		fmt.Printf("%s: %v\n", ev.Name, ev.Data)
	}
	fmt.Println(d.Status, d.Errors)
	// Output:
	// message: transport_test.Price
	// halted: string
	// 200 [404]
}
