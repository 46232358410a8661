package observable

import "errors"

// ErrInvalidArgument is the error that Interval, Merge, Concat and StartWith
// emit, wrapped with what was wrong, when they were given an argument they
// cannot work with: a non-positive period, a nil input Observable. Such an
// argument is a bug in the caller; it is reported as an error item when the
// Observable is subscribed to, because building one returns no error.
var ErrInvalidArgument = errors.New("observable: invalid argument")
