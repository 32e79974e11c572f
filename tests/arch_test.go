// Package tests holds the suites that cross packages. This file is the
// architecture test: it reads `go list` output for the whole module and
// enforces the import direction of shared/architecture.md.
package tests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/campus/campus"

// technology lists import path prefixes that must never reach the core
// (domain, ports, application), directly or through a dependency.
var technology = []string{
	"github.com/gofiber/",
	"github.com/valyala/fasthttp",
	"github.com/uptrace/bun",
	"github.com/hibiken/asynq",
	"github.com/golang-jwt/",
	"golang.org/x/crypto",
	"github.com/eko/gocache",
	"github.com/google/wire",
	"github.com/redis/",
	"github.com/go-redis/",
}

type goPackage struct {
	ImportPath   string
	Dir          string
	Standard     bool
	Imports      []string
	Deps         []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
	DepsErrors   []*struct{ Err string }
}

// layer names the ring of a package of this module, by its path.
func layer(importPath string) string {
	if importPath == module {
		return "root"
	}
	rel, ok := strings.CutPrefix(importPath, module+"/")
	if !ok {
		return "external"
	}
	first, _, _ := strings.Cut(rel, "/")
	switch first {
	case "domain", "ports", "application", "adapters", "bootstrap", "tests":
		return first
	}
	return "other:" + first
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// allowed lists, per core layer, the module layers it may import; the
// standard library is always allowed for these.
var allowed = map[string][]string{
	"domain":      {"domain"},
	"ports":       {"domain"},
	"application": {"domain", "ports", "application"},
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		t.Fatal("not inside the campus module")
	}
	return filepath.Dir(gomod)
}

func listPackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./...: %v\n%s", err, stderr.String())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestImportDirection(t *testing.T) {
	pkgs := listPackages(t)
	byPath := make(map[string]goPackage, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	seen := map[string]bool{}
	var violations []string
	report := func(format string, args ...any) {
		violations = append(violations, "  "+fmt.Sprintf(format, args...))
	}

	for _, p := range pkgs {
		if p.Error != nil {
			t.Errorf("go list could not load %s: %s", p.ImportPath, p.Error.Err)
			continue
		}
		from := layer(p.ImportPath)
		seen[from] = true

		for _, imp := range p.Imports {
			to := layer(imp)
			switch {
			case to == "bootstrap" && from != "bootstrap" && from != "tests":
				report("%s imports %s: nothing imports bootstrap (it is the composition root)", p.ImportPath, imp)
			case to == "tests" && from != "tests":
				report("%s imports %s: production code must not import tests/", p.ImportPath, imp)
			}
			rule, core := allowed[from]
			if !core {
				continue
			}
			if to == "external" {
				if !isStd(imp) {
					report("%s (%s) imports %s: %s may import only the standard library and %v",
						p.ImportPath, from, imp, from, rule)
				}
				continue
			}
			if !contains(rule, to) {
				report("%s (%s) imports %s (%s): %s may import only the standard library and %v",
					p.ImportPath, from, imp, to, from, rule)
			}
		}

		testImports := append(append([]string(nil), p.TestImports...), p.XTestImports...)
		if from == "adapters" {
			// An adapter's tests use real technology, never the composition root.
			for _, imp := range testImports {
				if layer(imp) == "bootstrap" {
					report("%s tests import %s: adapters may import anything but bootstrap", p.ImportPath, imp)
				}
			}
		}
		if _, core := allowed[from]; !core {
			continue
		}
		for _, dep := range p.Deps {
			if isTechnology(dep) && !explained(p, dep, byPath) {
				report("%s (%s) depends on %s: no technology import in the core (rule 1)", p.ImportPath, from, dep)
			}
		}
		// Core tests use the generated port mocks, never real adapters.
		for _, imp := range testImports {
			if to := layer(imp); to == "adapters" || to == "bootstrap" {
				report("%s tests import %s: core tests use tests/mocks, not %s", p.ImportPath, imp, to)
			}
		}
	}

	for _, want := range []string{"domain", "ports", "application"} {
		if !seen[want] {
			t.Errorf("go list found no %s packages; is the test running inside the module?", want)
		}
	}
	if len(violations) > 0 {
		sort.Strings(violations)
		t.Errorf("import direction violated (see shared/architecture.md, \"Import direction\"):\n%s",
			strings.Join(violations, "\n"))
	}
}

func TestLayerClassification(t *testing.T) {
	tests := map[string]string{
		module + "/domain/identity":      "domain",
		module + "/ports":                "ports",
		module + "/application/auth":     "application",
		module + "/adapters/http":        "adapters",
		module + "/bootstrap/cmd/campus": "bootstrap",
		module + "/tests/mocks":          "tests",
		module + "/domainx":              "other:domainx",
		"github.com/campus/campusx/x":    "external",
		"context":                        "external",
	}
	for in, want := range tests {
		if got := layer(in); got != want {
			t.Errorf("layer(%q) = %q, want %q", in, got, want)
		}
	}
	for path, want := range map[string]bool{"context": true, "net/http": true, "golang.org/x/crypto/bcrypt": false,
		"github.com/gofiber/fiber/v2": false} {
		if got := isStd(path); got != want {
			t.Errorf("isStd(%q) = %v, want %v", path, got, want)
		}
	}
}

func isTechnology(path string) bool {
	for _, tech := range technology {
		if strings.HasPrefix(path, tech) || path == strings.TrimSuffix(tech, "/") {
			return true
		}
	}
	return false
}

// explained reports whether a technology dependency of p is already
// reported elsewhere: p imports it (or an external package) directly, or
// gets it through another package of this module, which is reported itself.
func explained(p goPackage, dep string, byPath map[string]goPackage) bool {
	for _, imp := range p.Imports {
		if imp == dep || (layer(imp) == "external" && !isStd(imp)) {
			return true
		}
		if q, ok := byPath[imp]; ok && contains(q.Deps, dep) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
