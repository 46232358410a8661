package publish

import (
	"github.com/reactivex/rxgo/v2"

	"github.com/rxsse/rxsse/encoder"
)

// Item boxes ev, prepared and given its id by the broker, as the item every
// subscriber of a broadcast shares: boxed once, with its wire form built
// once (encoder.Frame), so that each stream writes the same bytes instead
// of framing the event again. An event Prepare accepted always frames; one
// that did not is boxed as it is, and encoded by each stream.
func Item(ev encoder.MessageEvent) rxgo.Item {
	if framed, err := encoder.Frame(ev); err == nil {
		ev = framed
	}
	return rxgo.Of(ev)
}
