// Package docs_test keeps the Markdown documentation honest: every Go block
// of README.md, CHANGELOG.md and docs/*.md is a complete Go file (package
// clause and imports) that gofmt leaves as it is and go vet accepts. The
// blocks are built in this module, which requires everything they may
// import: the core, metrics, natshub, chi, rxgo, Prometheus and NATS.
//
// The rules, for whoever writes a block:
//
//   - A block opened with ```go is checked. One opened with ```go fragment
//     (still highlighted as Go) is a deliberate fragment and is not: use it
//     sparingly, never in the quick start or the testing docs.
//   - Each block is a file of its own package, in a directory of its own.
//   - A block that declares tests (func TestX, BenchmarkX, ExampleX, FuzzX)
//     with the same package clause as the block just before it in the same
//     file is that block's test file, in the same directory: the README's
//     main_test.go tests its main.go.
package docs_test

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// block is one fenced Go block of a Markdown file.
type block struct {
	doc  string // the Markdown file, relative to the repository's root
	line int    // the line of its opening fence
	src  string
	dir  string // where it is written, relative to the temporary directory
	file string
}

// pos is where line n of the block's source (from 1) is in its Markdown file.
func (b block) pos(n int) string { return fmt.Sprintf("%s:%d", b.doc, b.line+n) }

var (
	fence       = regexp.MustCompile("^([ \t]*)(```+|~~~+)[ \t]*(.*)$")
	packageLine = regexp.MustCompile(`(?m)^package [A-Za-z_][A-Za-z0-9_]*\s*$`)
	testFunc    = regexp.MustCompile(`(?m)^func (Test|Benchmark|Example|Fuzz)[A-Z_]?[A-Za-z0-9_]*\(`)
)

// goBlocks returns the Go blocks of one Markdown file, and the number of
// deliberate fragments (```go fragment) it skipped.
func goBlocks(t *testing.T, doc, text string) (blocks []block, fragments int) {
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		indent, marker, info := m[1], m[2], strings.Fields(m[3])
		start := i
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			l := lines[i]
			if strings.TrimSpace(l) != "" && strings.HasPrefix(strings.TrimLeft(l, " \t"), marker) &&
				strings.TrimSpace(strings.TrimLeft(strings.TrimLeft(l, " \t"), marker[:1])) == "" {
				closed = true
				break
			}
			body = append(body, strings.TrimPrefix(l, indent))
		}
		if !closed {
			t.Errorf("%s:%d: a code block that is never closed", doc, start+1)
		}
		if len(info) == 0 || info[0] != "go" {
			continue
		}
		if len(info) > 1 && info[1] == "fragment" {
			fragments++
			continue
		}
		blocks = append(blocks, block{doc: doc, line: start + 1, src: strings.Join(body, "\n") + "\n"})
	}
	return blocks, fragments
}

// TestEveryGoBlockCompiles writes every Go block of the documentation into
// a directory of its own under this package (its name starts with "_", so
// ./... skips it), runs go vet on them all, and fails naming the Markdown
// file and line of each error.
func TestEveryGoBlockCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet: not in -short mode")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{"README.md", "CHANGELOG.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		docs = append(docs, filepath.ToSlash(strings.TrimPrefix(m, root+string(filepath.Separator))))
	}

	tmp, err := os.MkdirTemp(".", "_blocks")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })

	var all []block
	byDir := map[string]block{}
	fragments := 0
	for _, doc := range docs {
		text, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		blocks, skipped := goBlocks(t, doc, string(text))
		fragments += skipped
		var prev *block
		for i := range blocks {
			b := &blocks[i]
			pkg := packageLine.FindString(b.src)
			if pkg == "" {
				t.Errorf("%s: a Go block without a package clause: make it a complete file, or mark it ```go fragment", b.pos(0))
				continue
			}
			if testFunc.MatchString(b.src) && prev != nil && packageLine.FindString(prev.src) == pkg {
				b.dir, b.file = prev.dir, fmt.Sprintf("line%d_test.go", b.line)
			} else {
				b.dir = strings.NewReplacer("/", "_", ".", "_").Replace(doc) + "_" + strconv.Itoa(b.line)
				b.file = "block.go"
				if testFunc.MatchString(b.src) {
					b.file = "block_test.go"
				}
			}
			if formatted, err := format.Source([]byte(b.src)); err != nil {
				t.Errorf("%s: %v", b.pos(0), err)
			} else if !bytes.Equal(formatted, []byte(b.src)) {
				have, want := strings.Split(b.src, "\n"), strings.Split(string(formatted), "\n")
				n := 0
				for n < len(have) && n < len(want) && have[n] == want[n] {
					n++
				}
				if n == len(have) { // gofmt added lines at the end
					n--
				}
				got := ""
				if n < len(want) {
					got = want[n]
				}
				t.Errorf("%s: not gofmt-formatted: %q, gofmt writes %q", b.pos(n+1), have[n], got)
			}
			if err := os.MkdirAll(filepath.Join(tmp, b.dir), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tmp, b.dir, b.file), []byte(b.src), 0o644); err != nil {
				t.Fatal(err)
			}
			byDir[b.dir+"/"+b.file] = *b
			all = append(all, *b)
			prev = b
		}
	}
	if len(all) == 0 {
		t.Fatal("no Go block found in the documentation")
	}
	t.Logf("%d Go blocks in %d files (%d fragments skipped)", len(all), len(docs), fragments)

	seen := map[string]bool{}
	args := []string{"vet"}
	for _, b := range all {
		if !seen[b.dir] {
			seen[b.dir] = true
			args = append(args, "./"+filepath.ToSlash(filepath.Join(tmp, b.dir)))
		}
	}
	cmd := exec.Command("go", args...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return
	}
	// Point every position at the Markdown: "_blocks1/README_md_12/block.go:7:2" is
	// README.md's line 12+7.
	tmpName := regexp.QuoteMeta(filepath.Base(tmp))
	posRE := regexp.MustCompile(`(?:\./)?` + tmpName + `/([^/\s:]+/[^/\s:]+\.go):(\d+)(?::\d+)?`)
	report := posRE.ReplaceAllStringFunc(string(out), func(s string) string {
		m := posRE.FindStringSubmatch(s)
		b, ok := byDir[m[1]]
		if !ok {
			return s
		}
		n, _ := strconv.Atoi(m[2])
		return b.pos(n)
	})
	report = strings.ReplaceAll(report, "github.com/rxsse/rxsse/examples/docs/"+filepath.Base(tmp)+"/", "")
	// "# README_md_12" (or "README_md_12_test") is the block at README.md:12;
	// longer names first, since README_md_1 is a prefix of README_md_12.
	sort.Slice(all, func(i, j int) bool { return len(all[i].dir) > len(all[j].dir) })
	for _, b := range all {
		at := fmt.Sprintf("%s:%d", b.doc, b.line)
		report = strings.ReplaceAll(strings.ReplaceAll(report, b.dir+"_test", at), b.dir, at)
	}
	t.Errorf("go vet of the documentation's Go blocks failed (%v):\n%s", err, report)
}
