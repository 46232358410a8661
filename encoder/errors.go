package encoder

import "errors"

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrInvalidID reports an event id containing CR, LF or NUL, which
	// would let the id inject fields or be ignored by clients.
	ErrInvalidID = errors.New("id must not contain CR, LF or NUL")
	// ErrInvalidType reports an event type containing CR or LF, which would
	// let the type inject fields.
	ErrInvalidType = errors.New("type must not contain CR or LF")
	// ErrEventTooLarge reports an event larger than a size cap: the
	// Decoder's (see WithMaxEventSize), a transport's or a broker's, all
	// DefaultMaxEventSize by default.
	ErrEventTooLarge = errors.New("event exceeds the maximum event size")
)

// FieldError reports a MessageEvent field the Encoder refused to write.
// Nothing is written when Encode returns a FieldError.
type FieldError struct {
	// Field names the field: "id", "event" or "data".
	Field string
	// Err is the reason: ErrInvalidID, ErrInvalidType or the marshaller's
	// error for data.
	Err error
}

// Error implements error.
func (e *FieldError) Error() string { return "encoder: invalid " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the reason, so errors.Is(err, ErrInvalidID) works.
func (e *FieldError) Unwrap() error { return e.Err }
