package observable

// Option configures a source of this package.
type Option func(*options)

type options struct {
	clock Clock
}

// WithClock makes a source read time from c instead of the real clock, so a
// test can drive it with a clocktest.Clock. A nil c means the real clock.
func WithClock(c Clock) Option {
	return func(o *options) { o.clock = c }
}

func buildOptions(opts []Option) options {
	o := options{}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.clock == nil {
		o.clock = RealClock{}
	}
	return o
}
