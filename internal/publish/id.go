package publish

import (
	"strconv"
	"strings"
)

// FormatID returns the event id of sequence seq in epoch: "<epoch>-<seq>".
func FormatID(epoch string, seq uint64) string {
	var buf [48]byte // an epoch up to 27 bytes, dash, up to 20 digits: one allocation, the string
	b := append(append(buf[:0], epoch...), '-')
	return string(strconv.AppendUint(b, seq, 10))
}

// ParseID returns the epoch and sequence of an id of the form
// <epoch>-<seq>, and false for anything else. An epoch never contains a
// dash; a client's id may, and then is of no epoch a broker has.
func ParseID(id string) (epoch string, seq uint64, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return id[:i], seq, true
}
