package httpapi

import (
	"net/http/pprof"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/campus/campus/domain/identity"
)

// pprofPrefix is where Go's profiler is served when Config.Pprof is set.
const pprofPrefix = "/debug/pprof"

// pprofRoutes serve Go's profiler (net/http/pprof) to admins. They are
// entries of the route table like any other, so the guard (401 without a
// token, 403 and an audited denial for other roles), the OpenAPI document
// and the tests that walk the table cover them too. They exist only when
// ENABLE_PPROF is on; otherwise /debug/pprof is an unknown path (404).
//
// Importing net/http/pprof also registers its handlers on
// http.DefaultServeMux, which no listener of this service serves.
func (s *Server) pprofRoutes() []Route {
	if !s.cfg.Pprof {
		return nil
	}
	admin := RequireRole(identity.RoleAdmin)
	h := pprofHandler()
	return []Route{
		{Method: "GET", Path: pprofPrefix + "/", Tag: "system", Summary: "Go profiler: the list of profiles (ENABLE_PPROF)",
			Guard: admin, handler: h},
		{Method: "GET", Path: pprofPrefix + "/:name", Tag: "system",
			Summary: "Go profiler: one profile (profile, trace, heap, allocs, goroutine, block, mutex, threadcreate, cmdline, symbol)",
			Guard:   admin, handler: h, Query: []Param{
				{"seconds", "integer", "profile and trace: how long to record (default 30 and 1); heap and allocs: a delta over that time"},
				{"debug", "integer", "1 or 2: text instead of the gzip'd protobuf"},
				{"gc", "integer", "heap: 1 runs a garbage collection first"},
			}},
		{Method: "POST", Path: pprofPrefix + "/symbol", Tag: "system", Summary: "Go profiler: look up the symbols of program counters",
			Guard: admin, RawBody: []string{"text/plain"}, handler: h},
	}
}

// pprofHandler dispatches on the path as net/http/pprof's own mux would:
// four handlers by name, and Index for the list and every runtime profile
// (heap, goroutine, allocs, ...; an unknown name is its 404).
func pprofHandler() fiber.Handler {
	named := map[string]fiber.Handler{
		"cmdline": adaptor.HTTPHandlerFunc(pprof.Cmdline),
		"profile": adaptor.HTTPHandlerFunc(pprof.Profile),
		"symbol":  adaptor.HTTPHandlerFunc(pprof.Symbol),
		"trace":   adaptor.HTTPHandlerFunc(pprof.Trace),
	}
	index := adaptor.HTTPHandlerFunc(pprof.Index)
	return func(c *fiber.Ctx) error {
		path := c.Path()
		if path == pprofPrefix {
			// The list's links are relative to the directory.
			return c.Redirect(pprofPrefix+"/", fiber.StatusMovedPermanently)
		}
		if h, ok := named[strings.TrimPrefix(path, pprofPrefix+"/")]; ok {
			return h(c)
		}
		return index(c)
	}
}
