package main

import (
	"os"
	"strings"
	"testing"
)

// goBlocks returns the bodies of README.md's ```go blocks, in order.
func goBlocks(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	rest := string(readme)
	for {
		var block string
		var ok bool
		if _, rest, ok = strings.Cut(rest, "\n```go\n"); !ok {
			return blocks
		}
		block, rest, _ = strings.Cut(rest, "\n```")
		blocks = append(blocks, block+"\n")
	}
}

// TestTheREADMESeedIsThisProgram keeps the README's quick start honest: its
// first Go block is this package's main.go to the byte, and main.go is
// built, vetted and linted like any other package.
func TestTheREADMESeedIsThisProgram(t *testing.T) {
	blocks := goBlocks(t)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go block")
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if blocks[0] != string(src) {
		t.Errorf("README.md's first Go block differs from examples/seed/main.go; copy one to the other")
	}
}

// TestTheREADMEShowsTheSeedsTest keeps the quick start's test honest: the
// README's second Go block is this package's main_test.go to the byte,
// which runs here.
func TestTheREADMEShowsTheSeedsTest(t *testing.T) {
	blocks := goBlocks(t)
	src, err := os.ReadFile("main_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 2 || blocks[1] != string(src) {
		t.Errorf("README.md's second Go block differs from examples/seed/main_test.go; copy one to the other")
	}
}
