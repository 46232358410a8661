package encoder

import "time"

// DecoderOption configures a Decoder: its event size bound and the state
// it starts in. Nil options are ignored.
type DecoderOption func(*decoderConfig)

type decoderConfig struct {
	maxEventSize int
	lastEventID  string
	reconnect    time.Duration
}

// DefaultMaxEventSize is rxsse's one cap on the size of one event, 4 MiB:
// the default of the Decoder's WithMaxEventSize (the bytes of an event's
// lines), of the transport's WithMaxEventSize (the bytes of its encoded
// block) and of what a broker accepts at Publish. The Decoder does not
// count line endings, so an event sent within the cap is read within it.
// An event this large is almost always a bug.
const DefaultMaxEventSize = 4 << 20

func newDecoderConfig(opts []DecoderOption) decoderConfig {
	c := decoderConfig{maxEventSize: DefaultMaxEventSize}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithMaxEventSize bounds the bytes the Decoder accepts for one event,
// counting every line of its block (comments included). Past it Decode
// returns an error wrapping ErrEventTooLarge. The Decoder's memory stays
// near this bound, however long a line is: it reads lines in bounded
// pieces and never holds a second copy of an event being read. A value of
// zero or less removes the bound.
func WithMaxEventSize(n int) DecoderOption {
	return func(c *decoderConfig) { c.maxEventSize = n }
}

// WithLastEventID starts the Decoder with this last event id buffer, as a
// browser's parser starts on a reconnection: events without an id field
// carry it as their LastEventID, and LastEventID reports it until the
// stream sets another. The id is taken as it is (a stream cannot set one
// with CR, LF or NUL, but this option does not check).
func WithLastEventID(id string) DecoderOption {
	return func(c *decoderConfig) { c.lastEventID = id }
}

// WithReconnectionTime starts the Decoder with this reconnection time (what
// the standard calls the value a retry field sets): Retry reports it, with
// ok false, until the stream sends a valid retry field. It is a client's
// state, not an event's field: compare MessageEvent.Retry, which a server
// sends.
func WithReconnectionTime(d time.Duration) DecoderOption {
	return func(c *decoderConfig) { c.reconnect = d }
}
