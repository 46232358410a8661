package encoder

// Option configures an Encoder or a Decoder. Options that concern only one
// of them are ignored by the other.
type Option func(*config)

type config struct {
	marshal      func(any) ([]byte, error)
	maxEventSize int
}

// DefaultMaxEventSize is the Decoder's default limit on the size of one
// event (the bytes of its field lines), 16 MiB.
const DefaultMaxEventSize = 16 << 20

func newConfig(opts []Option) config {
	c := config{maxEventSize: DefaultMaxEventSize}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithMarshaler replaces the JSON marshaller the Encoder uses for data that
// is not a string, []byte or json.RawMessage. The default behaves like
// JSON.stringify: encoding/json without HTML escaping.
func WithMarshaler(marshal func(v any) ([]byte, error)) Option {
	return func(c *config) { c.marshal = marshal }
}

// WithMaxEventSize bounds the bytes the Decoder buffers for one event,
// counting every line of its block (comments included). Past it Decode
// returns an error wrapping ErrEventTooLarge. A value of zero or less
// removes the bound.
func WithMaxEventSize(n int) Option {
	return func(c *config) { c.maxEventSize = n }
}
