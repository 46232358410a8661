// Package publish holds the rules every hub.Broker applies to the events it
// publishes, so that the in-memory hub and natshub apply them identically:
// an event is validated and its data encoded once (Prepare), topics are
// checked and normalised (Topics), ids have the form <epoch>-<seq>
// (FormatID, ParseID), and a subscription that cannot resume starts with
// the gap event (Gap), echoing at most 128 bytes of the client's id
// (Truncate).
//
// The errors are package hub's (hub.ErrIDSet, hub.ErrEmptyTopic), where
// users read them: brokers pass them in (Errors).
package publish
