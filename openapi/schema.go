package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/invopop/jsonschema"
)

// schemas turns Go types into JSON Schemas with invopop/jsonschema, every
// named struct, slice or map type once, in components/schemas, where the
// schemas of other types reference it.
type schemas struct {
	reflector *jsonschema.Reflector
	names     map[reflect.Type]string // a named type's component name
	types     map[string]reflect.Type // and back
	defs      map[string]*jsonschema.Schema
}

func newSchemas() *schemas {
	s := &schemas{
		names: map[reflect.Type]string{},
		types: map[string]reflect.Type{},
		defs:  map[string]*jsonschema.Schema{},
	}
	// The error body is "Error" whatever the other types' names.
	eb := reflect.TypeFor[errorBody]()
	s.names[eb], s.types["Error"] = "Error", eb
	s.reflector = &jsonschema.Reflector{
		Anonymous: true,
		Namer:     s.name,
	}
	return s
}

// unsafeName matches what a component name may not hold (OpenAPI allows
// ^[a-zA-Z0-9.\-_]+$), such as the brackets of a generic type's name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// name returns the component name of a named type: its Go name, or, when
// another type of another package has it already, its package's name
// before it ("chatMessage").
func (s *schemas) name(t reflect.Type) string {
	if t.Name() == "" {
		return ""
	}
	if n, ok := s.names[t]; ok {
		return n
	}
	base := strings.Trim(unsafeName.ReplaceAllString(t.Name(), "_"), "_")
	n := base
	if _, taken := s.types[n]; taken {
		pkg := t.PkgPath()
		pkg = pkg[strings.LastIndexByte(pkg, '/')+1:]
		n = unsafeName.ReplaceAllString(pkg, "_") + base
		for i := 2; ; i++ {
			if _, taken := s.types[n]; !taken {
				break
			}
			n = fmt.Sprintf("%s%s%d", unsafeName.ReplaceAllString(pkg, "_"), base, i)
		}
	}
	s.names[t], s.types[n] = n, t
	return n
}

// of returns the schema of t, as JSON, with references into
// components/schemas ("#/components/schemas/Message").
func (s *schemas) of(t reflect.Type) (json.RawMessage, error) {
	root := s.reflector.ReflectFromType(t)
	for name, def := range root.Definitions {
		s.nullablePointers(s.types[name], def)
		s.defs[name] = def
	}
	root.Definitions = nil
	root.Version, root.ID = "", ""
	return marshal(root)
}

// nullablePointers lets a struct's pointer fields that encoding/json
// writes as null (those without omitempty or omitzero) be null: invopop
// describes a *T field as a T.
func (s *schemas) nullablePointers(t reflect.Type, def *jsonschema.Schema) {
	if t == nil || t.Kind() != reflect.Struct || def.Properties == nil {
		return
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous || f.Type.Kind() != reflect.Pointer {
			continue
		}
		tag := strings.Split(f.Tag.Get("json"), ",")
		name := tag[0]
		switch {
		case name == "-" && len(tag) == 1:
			continue
		case name == "":
			name = f.Name
		}
		omitted := false
		for _, o := range tag[1:] {
			omitted = omitted || o == "omitempty" || o == "omitzero"
		}
		if p, ok := def.Properties.Get(name); ok && !omitted {
			def.Properties.Set(name, &jsonschema.Schema{
				AnyOf: []*jsonschema.Schema{p, {Type: "null"}},
			})
		}
	}
}

// components returns the schemas of the named types reflected so far.
func (s *schemas) components() (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(s.defs))
	for name, def := range s.defs {
		b, err := marshal(def)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// marshal encodes a schema with its "#/$defs/..." references pointing into
// the document's components/schemas.
func marshal(s *jsonschema.Schema) (json.RawMessage, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	// Component names hold no quote, so only references match.
	return bytes.ReplaceAll(b, []byte(`"#/$defs/`), []byte(`"#/components/schemas/`)), nil
}
