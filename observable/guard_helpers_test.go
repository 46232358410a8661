package observable

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/reactivex/rxgo/v2"
)

// stuck bounds every wait, so that a broken stream fails the test instead of
// hanging it.
const stuck = 10 * time.Second

var errBoom = errors.New("boom")

// collect reads ch until it closes, failing the test if it stays open too
// long.
func collect(t testing.TB, ch <-chan rxgo.Item) []rxgo.Item {
	t.Helper()
	timeout := time.NewTimer(stuck)
	defer timeout.Stop()
	var items []rxgo.Item
	for {
		select {
		case item, ok := <-ch:
			if !ok {
				return items
			}
			items = append(items, item)
		case <-timeout.C:
			t.Fatalf("stream still open after %d items: %+v", len(items), items)
		}
	}
}

// observe collects the items of it under a context it cancels afterwards,
// so that rxgo's stages that stopped early can finish.
func observe(t testing.TB, it rxgo.Iterable) []rxgo.Item {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	return collect(t, it.Observe(rxgo.WithContext(ctx)))
}

// isPanic reports whether item is a *PanicError error item.
func isPanic(item rxgo.Item) bool {
	var pe *PanicError
	return errors.As(item.E, &pe)
}

// endsWithPanic fails the test unless items end with a *PanicError, and only
// there.
func endsWithPanic(t testing.TB, items []rxgo.Item) {
	t.Helper()
	for i, item := range items {
		if isPanic(item) != (i == len(items)-1) {
			t.Fatalf("items = %+v, want a *PanicError last and only last", items)
		}
	}
	if len(items) == 0 {
		t.Fatal("no items, want a *PanicError")
	}
}

// inChild runs the test named name in a child process, with env set to 1,
// and fails unless it passes: a panic that escapes there kills the child, not
// this test binary. It reports whether the caller is the child.
func inChild(t *testing.T, env string) bool {
	t.Helper()
	if os.Getenv(env) == "1" {
		return true
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return false
}
