package openapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/controller"
	"github.com/rxsse/rxsse/openapi"
	"github.com/rxsse/rxsse/transport"
)

// Tick is the data of a clock's events.
type Tick struct {
	N int `json:"n"`
}

// Clock streams ticks.
type Clock struct{}

func (c Clock) Routes(r controller.Router) {
	r.Sse("/ticks", c.ticks, transport.Summary("Ticks"), transport.Emits[Tick]("tick"))
}

func (Clock) ticks(*http.Request) rxgo.Observable { return rxgo.Empty() }

// New builds the document of the controllers' routes; the itemSchema of an
// SSE route has one schema per event type it declares, and one for the
// transport's error frame.
func ExampleNew() {
	doc, err := openapi.New(openapi.Info{Title: "Clock", Version: "1.0.0"}, controller.Describe(Clock{})...)
	if err != nil {
		fmt.Println(err)
		return
	}
	var d struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					ItemSchema struct {
						OneOf []json.RawMessage `json:"oneOf"`
					} `json:"itemSchema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc.JSON(), &d); err != nil {
		fmt.Println(err)
		return
	}
	for _, event := range d.Paths["/ticks"]["get"].Responses["200"].Content["text/event-stream"].ItemSchema.OneOf {
		var v struct {
			Required   []string `json:"required"`
			Properties struct {
				Event, Data json.RawMessage
			} `json:"properties"`
		}
		json.Unmarshal(event, &v)
		var ev, data bytes.Buffer
		json.Compact(&ev, v.Properties.Event)
		json.Compact(&data, v.Properties.Data)
		fmt.Printf("required %s, event %s, data %s\n", v.Required, &ev, &data)
	}
	// Output:
	// required [event data], event {"const":"tick"}, data {"type":"string","contentMediaType":"application/json","contentSchema":{"$ref":"#/components/schemas/Tick"}}
	// required [event data], event {"const":"error"}, data {"type":"string"}
}
