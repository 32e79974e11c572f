package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/mock"
	"github.com/valyala/fasthttp"

	"github.com/campus/campus/adapters/cache"
	"github.com/campus/campus/adapters/system"
	"github.com/campus/campus/adapters/token"
	"github.com/campus/campus/application/auth"
	appstudent "github.com/campus/campus/application/student"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/tests/mocks"
)

// The benchmarks below cover the authenticated GET path without a
// database: the bearer is parsed and verified by the real JWT codec, the
// session check is served by the real session cache over the in-process
// cache (the store mock answers only the first miss), and the student by the
// real use case over the same cache. Run them with
//
//	go test ./adapters/http -run '^$' -bench . -benchmem
//
// allocs/op is the figure to compare; ns/op moves with the machine's load.

// benchFixture is a minimal API over in-memory adapters.
type benchFixture struct {
	server *Server
	codec  *token.Codec
	auth   *auth.Service
	token  string
	st     student.Student
}

func newBenchFixture(b *testing.B, logLevel slog.Level) *benchFixture {
	b.Helper()
	clock := system.NewClock()
	codec, err := token.NewCodec(token.Keys{Current: []byte("bench-secret-key-that-is-at-least-32-bytes!")})
	if err != nil {
		b.Fatal(err)
	}
	mem, cleanup, err := cache.New(cache.Config{Enabled: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cleanup)

	now := clock.Now()
	sid := "0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b"
	sessions := mocks.NewSessionRepository(b)
	sessions.EXPECT().Principal(anyCtx, sid).Return(identity.Principal{UserID: 2, Username: "staff1", Role: identity.RoleStaff,
		IsActive: true, ExpiresAt: now.Add(time.Hour)}, nil).Maybe()
	cfg := auth.Config{AccessTTL: time.Hour, RefreshTTL: 7 * 24 * time.Hour}
	authSvc := auth.NewService(cfg, auth.Deps{Tokens: codec, Clock: clock,
		Principals: auth.NewSessionCache(mem, sessions, clock, cfg)})

	email := "ada@example.edu"
	st := student.Student{ID: 1, Name: "Ada Lovelace", RollNo: "CS-2026-0001", Department: "Computer Science", Semester: 3,
		Section: "A", Email: &email, Status: student.Status("active"),
		CreatedAt: now.Add(-48 * time.Hour).Truncate(time.Microsecond), UpdatedAt: now.Truncate(time.Microsecond)}
	repo := mocks.NewStudentRepository(b)
	repo.EXPECT().Get(anyCtx, st.ID).Return(st, nil).Maybe()
	students := appstudent.NewService(appstudent.Config{CacheTTL: time.Minute}, appstudent.Deps{Repo: repo, Cache: mem, Clock: clock})

	tok, err := codec.Sign(identity.Claims{TokenID: "0190a3c4-0000-7000-8000-000000000001", SessionID: sid, UserID: 2,
		Username: "staff1", Role: identity.RoleStaff, Type: identity.AccessToken, IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: logLevel}))
	s := NewServer(Config{BodyLimit: 1 << 20, SlowRequest: time.Second}, Deps{Auth: authSvc, Students: students, Cache: mem, Logger: log})
	return &benchFixture{server: s, codec: codec, auth: authSvc, token: tok, st: st}
}

// anyCtx matches any context argument of a mock.
var anyCtx = mock.Anything

// serve runs handler over one reused request context, as fasthttp's
// server does for a keep-alive connection.
func serve(b *testing.B, handler fasthttp.RequestHandler, path, bearer string, wantStatus int) {
	b.Helper()
	var req fasthttp.Request
	req.Header.SetMethod(fasthttp.MethodGet)
	req.SetRequestURI(path)
	req.Header.Set(fiber.HeaderAuthorization, "Bearer "+bearer)
	req.Header.Set(fiber.HeaderUserAgent, "bench")
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	run := func() {
		ctx.Response.Reset()
		handler(&ctx)
	}
	run() // warm the caches
	if got := ctx.Response.StatusCode(); got != wantStatus {
		b.Fatalf("GET %s: %d, want %d: %s", path, got, wantStatus, ctx.Response.Body())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
}

// BenchmarkAuth breaks the per-request authentication down: the JWT alone,
// the use case (JWT + session cache), and the guard middleware in a Fiber
// app (bearer header, use case, locals, role check).
func BenchmarkAuth(b *testing.B) {
	f := newBenchFixture(b, slog.LevelError)
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := f.codec.Parse(f.token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("authenticate", func(b *testing.B) {
		ctx := context.Background()
		o := identity.Origin{IP: "127.0.0.1", UserAgent: "bench", RequestID: "r1"}
		if _, _, err := f.auth.Authenticate(ctx, f.token, o); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, _, err := f.auth.Authenticate(ctx, f.token, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("middleware", func(b *testing.B) {
		app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: errorHandler(f.server.d.Logger)})
		app.Get("/x", f.server.guardMiddleware(RequirePermission(identity.ViewStudent), "/x"),
			func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) })
		serve(b, app.Handler(), "/x", f.token, fiber.StatusNoContent)
	})
}

// BenchmarkStudentJSON is the response of GET /students/{id}: the DTO, the
// ETag and the JSON body through Fiber's encoder.
func BenchmarkStudentJSON(b *testing.B) {
	f := newBenchFixture(b, slog.LevelError)
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := json.Marshal(studentDTO(f.st)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("send", func(b *testing.B) {
		app := f.server.App()
		var fctx fasthttp.RequestCtx
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			c := app.AcquireCtx(&fctx)
			if err := sendStudent(c, fiber.StatusOK, f.st); err != nil {
				b.Fatal(err)
			}
			app.ReleaseCtx(c)
			fctx.Response.Reset()
		}
	})
}

// BenchmarkGetStudent is the whole authenticated GET /api/v1/students/1
// through the server's middleware chain (request id, observe, recover,
// security headers, guard) and handler, with the request log at INFO (the
// default level; the handler writes to io.Discard) and without it.
func BenchmarkGetStudent(b *testing.B) {
	for _, lv := range []struct {
		name  string
		level slog.Level
	}{{"log", slog.LevelInfo}, {"nolog", slog.LevelError}} {
		b.Run(lv.name, func(b *testing.B) {
			f := newBenchFixture(b, lv.level)
			serve(b, f.server.App().Handler(), "/api/v1/students/1", f.token, fiber.StatusOK)
		})
	}
}
