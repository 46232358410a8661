package publish_test

import (
	"testing"

	"github.com/rxsse/rxsse/internal/publish"
)

func TestFormatID(t *testing.T) {
	tests := []struct {
		epoch string
		seq   uint64
		want  string
	}{
		{"abcdefgh", 1, "abcdefgh-1"},
		{"abcdefgh", 0, "abcdefgh-0"},
		{"lz8s3b2q1xyz", 18446744073709551615, "lz8s3b2q1xyz-18446744073709551615"},
	}
	for _, tc := range tests {
		if got := publish.FormatID(tc.epoch, tc.seq); got != tc.want {
			t.Errorf("FormatID(%q, %d) = %q, want %q", tc.epoch, tc.seq, got, tc.want)
		}
	}
}

func TestFormatIDAllocatesOnlyTheString(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = publish.FormatID("lz8s3b2q1xyz", 1<<60) }); n > 1 {
		t.Errorf("FormatID allocates %v times, want 1", n)
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		name  string
		id    string
		epoch string
		seq   uint64
		ok    bool
	}{
		{"an id", "abcdefgh-42", "abcdefgh", 42, true},
		{"the largest sequence", "e-18446744073709551615", "e", 18446744073709551615, true},
		{"the last dash splits", "a-b-7", "a-b", 7, true},
		{"empty", "", "", 0, false},
		{"no dash", "abc", "", 0, false},
		{"no epoch", "-5", "", 0, false},
		{"no sequence", "abc-", "", 0, false},
		{"a signed sequence", "abc-+5", "", 0, false},
		{"a sequence too large", "abc-18446744073709551616", "", 0, false},
		{"not a number", "abc-x", "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			epoch, seq, ok := publish.ParseID(tc.id)
			if epoch != tc.epoch || seq != tc.seq || ok != tc.ok {
				t.Errorf("ParseID(%q) = %q, %d, %v; want %q, %d, %v", tc.id, epoch, seq, ok, tc.epoch, tc.seq, tc.ok)
			}
		})
	}
}

func FuzzParseIDRoundTrip(f *testing.F) {
	f.Add("abcdefgh", uint64(1))
	f.Add("lz8s3b2q1xyz", uint64(1<<63))
	f.Fuzz(func(t *testing.T, epoch string, seq uint64) {
		epoch0, seq0, ok := publish.ParseID(publish.FormatID(epoch, seq))
		if epoch == "" {
			if ok {
				t.Fatalf("an id without epoch parsed as %q, %d", epoch0, seq0)
			}
			return
		}
		if !ok || epoch0 != epoch || seq0 != seq {
			t.Fatalf("ParseID(FormatID(%q, %d)) = %q, %d, %v", epoch, seq, epoch0, seq0, ok)
		}
	})
}
