package observable

import "github.com/reactivex/rxgo/v2"

// guardedSingle is a Single whose Map and Filter run their function under
// recover.
//
// It builds the rxgo Single anew for every Observe, Get or Run: an rxgo
// Single keeps one channel for all its subscriptions, and the second one
// panics on it (send on closed channel), on a goroutine of rxgo's, killing
// the process. So rxgo options that start a Single at once (Eager) take
// effect when it is observed.
type guardedSingle struct{ build func() rxgo.Single }

func wrapSingle(build func() rxgo.Single) rxgo.Single { return &guardedSingle{build} }

// Observe observes a new instance of the wrapped Single.
func (g *guardedSingle) Observe(opts ...rxgo.Option) <-chan rxgo.Item {
	return g.build().Observe(opts...)
}

// Filter is rxgo's Single.Filter with apply run under recover.
func (g *guardedSingle) Filter(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle {
		return g.build().Map(keep(apply)).Filter(isNotSkip, opts...)
	})
}

// Get is rxgo's Single.Get.
func (g *guardedSingle) Get(opts ...rxgo.Option) (rxgo.Item, error) { return g.build().Get(opts...) }

// Map is rxgo's Single.Map with apply run under recover.
func (g *guardedSingle) Map(apply rxgo.Func, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(func() rxgo.Single { return g.build().Map(guardFunc(apply), opts...) })
}

// Run is rxgo's Single.Run.
func (g *guardedSingle) Run(opts ...rxgo.Option) rxgo.Disposed { return g.build().Run(opts...) }

// guardedOptional is an OptionalSingle whose Map runs its function under
// recover. It builds the rxgo OptionalSingle anew for every Observe, Get or
// Run, as guardedSingle does, since one made from a Single shares the
// Single's channel.
type guardedOptional struct{ build func() rxgo.OptionalSingle }

func wrapOptional(build func() rxgo.OptionalSingle) rxgo.OptionalSingle {
	return &guardedOptional{build}
}

// Observe observes a new instance of the wrapped OptionalSingle.
func (g *guardedOptional) Observe(opts ...rxgo.Option) <-chan rxgo.Item {
	return g.build().Observe(opts...)
}

// Get is rxgo's OptionalSingle.Get.
func (g *guardedOptional) Get(opts ...rxgo.Option) (rxgo.Item, error) {
	return g.build().Get(opts...)
}

// Map is rxgo's OptionalSingle.Map with apply run under recover.
func (g *guardedOptional) Map(apply rxgo.Func, opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(func() rxgo.OptionalSingle { return g.build().Map(guardFunc(apply), opts...) })
}

// Run is rxgo's OptionalSingle.Run.
func (g *guardedOptional) Run(opts ...rxgo.Option) rxgo.Disposed { return g.build().Run(opts...) }
