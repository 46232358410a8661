package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// readmeMarker precedes, in the README, the YAML block that shows the
// chat's stream as the document describes it.
const readmeMarker = "<!-- generated: the itemSchema of examples/chat's GET /rooms/{room}/events -->"

// itemSchemaExcerpt returns, as YAML, the content of the chat's stream's
// 200 response in the document.
func itemSchemaExcerpt(t *testing.T, doc []byte) string {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	n := root.Content[0]
	for _, key := range []string{"paths", eventsPath, "get", "responses", "200", "content"} {
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			t.Fatalf("no %q in the document", key)
		}
		n = next
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The README shows the itemSchema the chat's document really has.
func TestTheREADMEShowsTheGeneratedItemSchema(t *testing.T) {
	a := newTestApp(t, config{})
	want := itemSchemaExcerpt(t, a.doc.YAML())
	if os.Getenv("RXSSE_PRINT_EXCERPT") != "" {
		os.Stdout.WriteString(want)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), readmeMarker+"\n```yaml\n")
	if !ok {
		t.Fatalf("README.md has no block after %s", readmeMarker)
	}
	got, _, _ := strings.Cut(after, "```\n")
	if got != want {
		t.Errorf("README.md's itemSchema differs from the chat's; it is now:\n%s", want)
	}
}
