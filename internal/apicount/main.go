// Command apicount counts the public surface of the repository, as issue 16
// measures it: exported top-level names (funcs, types, vars, consts; not
// methods or fields) and option constructors (exported funcs named With*)
// in the non-test packages users import, every module included (examples,
// loadtest, internal and e2e are not public). With -v it lists them by
// package. Run it with `make api`.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	root, verbose := ".", false
	for _, a := range os.Args[1:] {
		if a == "-v" {
			verbose = true
		} else {
			root = a
		}
	}
	names, opts := 0, 0
	per := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			b := d.Name()
			if b == "internal" || b == "node_modules" || b == "testdata" || (strings.HasPrefix(b, ".") && b != ".") || b == "examples" || b == "e2e" || b == "loadtest" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		pkg := filepath.Dir(path)
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names++
					per[pkg] = append(per[pkg], d.Name.Name)
					if strings.HasPrefix(d.Name.Name, "With") {
						opts++
					}
				}
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					switch s := sp.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names++
							per[pkg] = append(per[pkg], s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								names++
								per[pkg] = append(per[pkg], n.Name)
							}
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicount:", err)
		os.Exit(1)
	}
	if verbose {
		keys := make([]string, 0, len(per))
		for k := range per {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sort.Strings(per[k])
			rel, _ := filepath.Rel(root, k)
			fmt.Printf("%s (%d): %s\n", rel, len(per[k]), strings.Join(per[k], " "))
		}
	}
	fmt.Printf("exported names: %d, option constructors: %d\n", names, opts)
}
