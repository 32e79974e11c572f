package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	encbinary "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	httpapi "github.com/campus/campus/adapters/http"
	"github.com/campus/campus/domain/identity"
)

// TestPprofDisabledIsNotFound: without ENABLE_PPROF the profiler is not
// there at all, for an admin either, and not in the route table.
func TestPprofDisabledIsNotFound(t *testing.T) {
	h := newHarness(t, sqliteURL(t), nil)
	admin := h.token("admin", "admin123")
	for _, p := range []string{"/debug/pprof/", "/debug/pprof", "/debug/pprof/profile?seconds=1", "/debug/pprof/heap"} {
		for _, tok := range []string{"", admin} {
			expectProblem(t, h.do("GET", p, tok, nil), http.StatusNotFound, "")
		}
	}
	for _, rt := range h.server.Routes() {
		if strings.HasPrefix(rt.Path, "/debug/pprof") {
			t.Errorf("%s %s is registered with ENABLE_PPROF off", rt.Method, rt.Path)
		}
	}
}

// TestPprofForAdminsOnly: with ENABLE_PPROF the profiler answers admins,
// and everybody else gets the guard's problem documents.
func TestPprofForAdminsOnly(t *testing.T) {
	h := newHarness(t, sqliteURL(t), map[string]string{"ENABLE_PPROF": "true"})
	admin := h.token("admin", "admin123")

	t.Run("index", func(t *testing.T) {
		r := h.do("GET", "/debug/pprof/", admin, nil)
		expectStatus(t, r, http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.Body), "goroutine") {
			t.Fatalf("not the profile list: %s %.300s", r.Header.Get("Content-Type"), r.Body)
		}
		r = h.do("GET", "/debug/pprof", admin, nil)
		if r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != "/debug/pprof/" {
			t.Fatalf("/debug/pprof: %d %q, want a redirect to /debug/pprof/", r.Status, r.Header.Get("Location"))
		}
	})

	t.Run("cpu profile", func(t *testing.T) {
		r := h.do("GET", "/debug/pprof/profile?seconds=1", admin, nil)
		expectStatus(t, r, http.StatusOK)
		checkProfile(t, r.Body, "cpu", "nanoseconds")
	})

	t.Run("named profiles", func(t *testing.T) {
		r := h.do("GET", "/debug/pprof/heap", admin, nil)
		expectStatus(t, r, http.StatusOK)
		checkProfile(t, r.Body, "inuse_space", "bytes")
		r = h.do("GET", "/debug/pprof/goroutine?debug=1", admin, nil)
		expectStatus(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), "goroutine profile: total") {
			t.Fatalf("goroutine text: %.200s", r.Body)
		}
		r = h.do("GET", "/debug/pprof/cmdline", admin, nil)
		expectStatus(t, r, http.StatusOK)
		r = h.do("GET", "/debug/pprof/no-such-profile", admin, nil)
		expectStatus(t, r, http.StatusNotFound)
	})

	t.Run("everybody else", func(t *testing.T) {
		h.guestToken()
		creds := map[identity.Role][2]string{
			identity.RoleStaff: {"staff1", "staff123"}, identity.RoleStudent: {"student1", "student123"},
			identity.RoleGuest: {"guest1", "visiting-scholar-2026"},
		}
		for _, p := range []string{"/debug/pprof/", "/debug/pprof/profile?seconds=1", "/debug/pprof/heap"} {
			expectProblem(t, h.do("GET", p, "", nil), http.StatusUnauthorized, "Not authenticated")
			expectProblem(t, h.do("GET", p, "not-a-token", nil), http.StatusUnauthorized, "Invalid token")
			for role, c := range creds {
				r := h.do("GET", p, h.token(c[0], c[1]), nil)
				if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "Insufficient permissions") {
					t.Fatalf("GET %s as %s: %d %s, want 403", p, role, r.Status, r.Body)
				}
				expectProblem(t, r, http.StatusForbidden, "")
			}
		}
		// The denials are audited like any other route's.
		r := h.do("GET", "/api/v1/audit-logs?action=auth.permission_denied&resource=route&limit=200", admin, nil)
		expectStatus(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), `"resource_id":"GET /debug/pprof/:name"`) {
			t.Fatalf("no denial of GET /debug/pprof/:name audited: %.500s", r.Body)
		}
	})

	// The profiler is in the route table, so the OpenAPI document and the
	// RBAC walk cover it as they cover every route (the RBAC test runs with
	// the switch off; this is its walk over the pprof routes with it on).
	t.Run("route table", func(t *testing.T) {
		var routes []httpapi.Route
		for _, rt := range h.server.Routes() {
			if strings.HasPrefix(rt.Path, "/debug/pprof") {
				routes = append(routes, rt)
			}
		}
		if len(routes) == 0 {
			t.Fatal("no /debug/pprof route in the route table")
		}
		// This server's document (/openapi.json would serve the same), loaded
		// and validated as TestOpenAPICoversEveryRoute does.
		built, err := h.server.OpenAPI()
		if err != nil {
			t.Fatal(err)
		}
		body, err := json.Marshal(built)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := openapi3.NewLoader().LoadFromData(body)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("invalid OpenAPI document with the profiler: %v", err)
		}
		for _, rt := range routes {
			item := doc.Paths.Find(httpapi.OpenAPIPath(rt.Path))
			if item == nil || item.GetOperation(rt.Method) == nil || item.GetOperation(rt.Method).Security == nil ||
				len(*item.GetOperation(rt.Method).Security) == 0 {
				t.Errorf("%s %s: missing from the OpenAPI document or without security", rt.Method, rt.Path)
			}
			for _, role := range identity.Roles {
				if rt.Guard.Admits(role) != (role == identity.RoleAdmin) {
					t.Errorf("%s %s: guard %s admits %s: %v", rt.Method, rt.Path, rt.Guard, role, rt.Guard.Admits(role))
				}
			}
			if !rt.Guard.NeedsToken() {
				t.Errorf("%s %s: guard %s lets anonymous callers in", rt.Method, rt.Path, rt.Guard)
			}
		}
	})
}

// checkProfile checks that body is a gzip'd pprof protobuf: it unzips, every
// top-level field is well formed, and its string table names the sample
// type and unit wanted.
func checkProfile(t *testing.T, body []byte, sampleType, unit string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("profile is not gzip'd: %v (%d bytes: %.40q)", err, len(body), body)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("profile: %v", err)
	}
	strs, err := profileStrings(raw)
	if err != nil {
		t.Fatalf("profile is not a protobuf: %v", err)
	}
	has := map[string]bool{}
	for _, s := range strs {
		has[s] = true
	}
	if !has[sampleType] || !has[unit] {
		t.Fatalf("profile's strings lack %q/%q: %q", sampleType, unit, strs)
	}
}

// profileStrings walks the protobuf wire format of a profile.proto Profile
// and returns its string table (field 6).
func profileStrings(b []byte) ([]string, error) {
	var out []string
	for len(b) > 0 {
		key, n := encbinary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("bad field key")
		}
		b = b[n:]
		switch field, wire := key>>3, key&7; wire {
		case 0: // varint
			if _, n = encbinary.Uvarint(b); n <= 0 {
				return nil, fmt.Errorf("field %d: bad varint", field)
			}
			b = b[n:]
		case 2: // length-delimited
			l, n := encbinary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, fmt.Errorf("field %d: bad length", field)
			}
			if field == 6 {
				out = append(out, string(b[n:n+int(l)]))
			}
			b = b[n+int(l):]
		default:
			return nil, fmt.Errorf("field %d: unexpected wire type %d", field, wire)
		}
	}
	return out, nil
}
