package safe

import "github.com/reactivex/rxgo/v2"

// guardedSingle is a Single whose Map and Filter run their function under
// recover.
type guardedSingle struct{ s rxgo.Single }

func wrapSingle(s rxgo.Single) rxgo.Single {
	if s == nil {
		return nil
	}
	return &guardedSingle{s}
}

// Observe observes the wrapped Single.
func (g *guardedSingle) Observe(opts ...rxgo.Option) <-chan rxgo.Item { return g.s.Observe(opts...) }

// Filter is rxgo's Single.Filter with apply run under recover.
func (g *guardedSingle) Filter(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(g.s.Map(keep(apply)).Filter(isNotSkip, opts...))
}

// Get is rxgo's Single.Get.
func (g *guardedSingle) Get(opts ...rxgo.Option) (rxgo.Item, error) { return g.s.Get(opts...) }

// Map is rxgo's Single.Map with apply run under recover.
func (g *guardedSingle) Map(apply rxgo.Func, opts ...rxgo.Option) rxgo.Single {
	return wrapSingle(g.s.Map(Func(apply), opts...))
}

// Run is rxgo's Single.Run.
func (g *guardedSingle) Run(opts ...rxgo.Option) rxgo.Disposed { return g.s.Run(opts...) }

// guardedOptional is an OptionalSingle whose Map runs its function under
// recover.
type guardedOptional struct{ s rxgo.OptionalSingle }

func wrapOptional(s rxgo.OptionalSingle) rxgo.OptionalSingle {
	if s == nil {
		return nil
	}
	return &guardedOptional{s}
}

// Observe observes the wrapped OptionalSingle.
func (g *guardedOptional) Observe(opts ...rxgo.Option) <-chan rxgo.Item { return g.s.Observe(opts...) }

// Get is rxgo's OptionalSingle.Get.
func (g *guardedOptional) Get(opts ...rxgo.Option) (rxgo.Item, error) { return g.s.Get(opts...) }

// Map is rxgo's OptionalSingle.Map with apply run under recover.
func (g *guardedOptional) Map(apply rxgo.Func, opts ...rxgo.Option) rxgo.OptionalSingle {
	return wrapOptional(g.s.Map(Func(apply), opts...))
}

// Run is rxgo's OptionalSingle.Run.
func (g *guardedOptional) Run(opts ...rxgo.Option) rxgo.Disposed { return g.s.Run(opts...) }
