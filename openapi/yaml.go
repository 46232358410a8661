package openapi

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// toYAML converts a JSON document to YAML, keeping the order of its keys
// (JSON is YAML: the parser reads it as it is).
func toYAML(js []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(js, &n); err != nil {
		return nil, err
	}
	plain(&n)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// plain drops the JSON quoting and flow style, so the YAML reads as YAML;
// the encoder still quotes a string that would otherwise read as another
// type ("200", "true").
func plain(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plain(c)
	}
}
