package natshub

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// How events map to subjects. Every subject of a broker lies under its
// prefix, "rxsse.<stream>", and the stream captures "<prefix>.>":
//
//	<prefix>.all          an event published with no topics
//	<prefix>.t.<token>    an event published to exactly one topic
//	<prefix>.m            an event published to several topics
//
// The subject lets NATS tools and the history reader filter by topic; the
// exact topics always travel in the Rxsse-Topic headers as well, which are
// what subscribers match on. A token is the topic with every byte outside
// [A-Za-z0-9_-] written as %XX (upper-case hex), so any string, dots,
// wildcards, spaces and non-ASCII included, becomes one valid subject token,
// and two topics never share a token. A token longer than maxToken bytes is
// replaced by "~" and a SHA-256 prefix of the topic, to keep subjects short.
const (
	subjectAll   = "all"
	subjectOne   = "t"
	subjectMulti = "m"
	maxToken     = 128
)

// encodeToken writes s as one subject token (see above), without hashing.
func encodeToken(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !plainByte(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plainByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// errBadToken is returned for a header value that encodeToken cannot have
// written: a message not written by this package.
var errBadToken = errors.New("natshub: malformed token")

// decodeToken reverses encodeToken.
func decodeToken(t string) (string, error) {
	if !strings.Contains(t, "%") {
		for i := 0; i < len(t); i++ {
			if !plainByte(t[i]) {
				return "", errBadToken
			}
		}
		return t, nil
	}
	b := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case plainByte(c):
			b = append(b, c)
		case c == '%' && i+2 < len(t):
			hi, ok1 := unhex(t[i+1])
			lo, ok2 := unhex(t[i+2])
			if !ok1 || !ok2 {
				return "", errBadToken
			}
			b = append(b, hi<<4|lo)
			i += 2
		default:
			return "", errBadToken
		}
	}
	return string(b), nil
}

func plainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// topicSubjectToken is the subject token of one topic: its token, or a hash
// of the topic when the token would be too long.
func topicSubjectToken(topic string) string {
	if t := encodeToken(topic); len(t) <= maxToken {
		return t
	}
	sum := sha256.Sum256([]byte(topic))
	return "~" + hex.EncodeToString(sum[:20])
}

// subjectFor returns the subject of an event published to topics (already
// deduplicated).
func subjectFor(prefix string, topics []string) string {
	switch len(topics) {
	case 0:
		return prefix + "." + subjectAll
	case 1:
		return prefix + "." + subjectOne + "." + topicSubjectToken(topics[0])
	default:
		return prefix + "." + subjectMulti
	}
}

// filterSubjects returns the subjects that can hold an event a
// subscription to topics receives (nil: every subject of the stream).
func filterSubjects(prefix string, topics []string) []string {
	if len(topics) == 0 {
		return nil
	}
	out := []string{prefix + "." + subjectAll, prefix + "." + subjectMulti}
	for _, t := range topics {
		out = append(out, prefix+"."+subjectOne+"."+topicSubjectToken(t))
	}
	return out
}
