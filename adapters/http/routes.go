package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/domain/identity"
)

// Route is one entry of the route table: what the OpenAPI document, the
// guard middleware and the RBAC tests are all generated from.
type Route struct {
	Method  string
	Path    string // Fiber syntax, e.g. /api/v1/students/:id
	Summary string
	Tag     string
	Guard   Guard
	Request any // request body DTO, nil when none
	// RawBody lists the media types of a non-JSON body (e.g. text/csv).
	RawBody  []string
	Response any // success body, nil when none
	Status   int // success status
	// Accepted is the body of a 202 answer, when the work may instead run
	// as a background task.
	Accepted any
	Query    []Param
	Limited  bool // counted by the per-IP auth limit
	// Streaming answers with a stream that stays open (server-sent events).
	Streaming bool
	handler   fiber.Handler
}

// Param documents a query parameter.
type Param struct {
	Name, Type, Description string
}

const v1 = "/api/v1"

var pageParams = []Param{{"limit", "integer", "page size, 1-200 (default 50)"}, {"offset", "integer", "items to skip"}}

func withPage(ps ...Param) []Param { return append(ps, pageParams...) }

func (s *Server) add(r Route, limit fiber.Handler) {
	if r.Status == 0 {
		r.Status = fiber.StatusOK
	}
	hs := make([]fiber.Handler, 0, 3)
	if r.Limited {
		hs = append(hs, limit)
	}
	hs = append(hs, s.guardMiddleware(r.Guard, r.Path), r.handler)
	s.app.Add(r.Method, r.Path, hs...)
	s.routes = append(s.routes, r)
}

func (s *Server) registerRoutes() {
	limit := s.authLimiter()
	admin := RequireRole(identity.RoleAdmin)
	perm := RequirePermission
	routes := []Route{
		{Method: "POST", Path: v1 + "/auth/login", Tag: "auth", Summary: "Log in and open a session", Guard: Public(), Limited: true,
			Request: LoginRequest{}, Response: TokenDTO{}, handler: s.login},
		{Method: "POST", Path: v1 + "/auth/register", Tag: "auth", Summary: "Register an account (staff and admin need an admin's bearer)",
			Guard: Optional(), Limited: true, Request: RegisterRequest{}, Response: ProfileDTO{}, Status: 201, handler: s.register},
		{Method: "POST", Path: v1 + "/auth/refresh", Tag: "auth", Summary: "Exchange a refresh token for a new pair", Guard: Public(),
			Limited: true, Request: RefreshRequest{}, Response: TokenDTO{}, handler: s.refresh},
		{Method: "POST", Path: v1 + "/auth/logout", Tag: "auth", Summary: "Revoke the caller's session", Guard: Authenticated(),
			Request: LogoutRequest{}, Response: MessageDTO{}, handler: s.logout},
		{Method: "POST", Path: v1 + "/auth/change-password", Tag: "auth", Summary: "Change the password and sign out other sessions",
			Guard: Authenticated(), Limited: true, Request: ChangePasswordRequest{}, Response: MessageDTO{}, handler: s.changePassword},
		{Method: "GET", Path: v1 + "/auth/profile", Tag: "auth", Summary: "The caller's profile", Guard: Authenticated(), Response: ProfileDTO{}, handler: s.profile},
		{Method: "PUT", Path: v1 + "/auth/profile", Tag: "auth", Summary: "Edit the caller's name or email", Guard: Authenticated(),
			Request: ProfileUpdateRequest{}, Response: ProfileDTO{}, handler: s.updateProfile},
		{Method: "GET", Path: v1 + "/auth/verify", Tag: "auth", Summary: "Check the bearer token", Guard: Authenticated(), Response: VerifyDTO{}, handler: s.verify},
		{Method: "GET", Path: v1 + "/auth/permissions", Tag: "auth", Summary: "The caller's role and permissions", Guard: Authenticated(),
			Response: PermissionsDTO{}, handler: s.permissions},
		{Method: "GET", Path: v1 + "/auth/sessions", Tag: "auth", Summary: "The caller's active sessions", Guard: Authenticated(),
			Response: []SessionDTO{}, handler: s.sessions},
		{Method: "DELETE", Path: v1 + "/auth/sessions/:id", Tag: "auth", Summary: "Revoke one of the caller's sessions", Guard: Authenticated(),
			Status: 204, handler: s.deleteSession},
		{Method: "GET", Path: v1 + "/rbac/roles", Tag: "auth", Summary: "The whole role/permission matrix", Guard: admin, Response: RolesDTO{}, handler: s.roles},

		{Method: "GET", Path: v1 + "/users", Tag: "users", Summary: "List accounts", Guard: admin, Response: ListDTO[UserDTO]{},
			Query: withPage(Param{"role", "string", "guest|student|staff|admin"}, Param{"q", "string", "search username, email, name"},
				Param{"is_active", "boolean", ""}), handler: s.listUsers},
		{Method: "GET", Path: v1 + "/users/:id", Tag: "users", Summary: "One account", Guard: admin, Response: UserDTO{}, handler: s.getUser},
		{Method: "PATCH", Path: v1 + "/users/:id", Tag: "users", Summary: "Change role, activity, student link or department (revokes sessions on role change or deactivation)",
			Guard: admin, Request: UserPatchRequest{}, Response: UserDTO{}, handler: s.patchUser},
		{Method: "POST", Path: v1 + "/users/:id/revoke-sessions", Tag: "users", Summary: "Sign an account out everywhere", Guard: admin,
			Response: RevokedDTO{}, handler: s.revokeUserSessions},

		{Method: "GET", Path: v1 + "/students", Tag: "students", Summary: "List students (a student user sees their own record)",
			Guard: perm(identity.ViewStudent), Response: ListDTO[StudentDTO]{},
			Query: withPage(Param{"department", "string", ""}, Param{"semester", "integer", "1-12"}, Param{"section", "string", ""},
				Param{"status", "string", "active|inactive|graduated"}, Param{"q", "string", "search name and roll_no"}), handler: s.listStudents},
		{Method: "POST", Path: v1 + "/students", Tag: "students", Summary: "Create a student", Guard: perm(identity.CreateStudent),
			Request: StudentRequest{}, Response: StudentDTO{}, Status: 201, handler: s.createStudent},
		{Method: "GET", Path: v1 + "/students/:id", Tag: "students", Summary: "One student", Guard: perm(identity.ViewStudent), Response: StudentDTO{}, handler: s.getStudent},
		{Method: "PUT", Path: v1 + "/students/:id", Tag: "students", Summary: "Replace a student (If-Match: a GET's ETag makes it conditional; 409 when stale)", Guard: perm(identity.UpdateStudent),
			Request: StudentRequest{}, Response: StudentDTO{}, handler: s.replaceStudent},
		{Method: "PATCH", Path: v1 + "/students/:id", Tag: "students", Summary: "Change some fields of a student (If-Match as for PUT)", Guard: perm(identity.UpdateStudent),
			Request: StudentPatchRequest{}, Response: StudentDTO{}, handler: s.patchStudent},
		{Method: "DELETE", Path: v1 + "/students/:id", Tag: "students", Summary: "Delete a student, or archive one that other records point at",
			Guard: perm(identity.DeleteStudent), Status: 204, handler: s.deleteStudent},

		{Method: "GET", Path: v1 + "/audit-logs", Tag: "audit", Summary: "The audit trail", Guard: admin, Response: ListDTO[AuditDTO]{},
			Query: withPage(Param{"actor_id", "integer", ""}, Param{"action", "string", "e.g. auth.login, create"}, Param{"resource", "string", ""},
				Param{"from", "string", "date or RFC 3339, inclusive"}, Param{"to", "string", "date or RFC 3339, inclusive"}), handler: s.listAudit},

		{Method: "GET", Path: "/health", Tag: "system", Summary: "Liveness: 503 when the database is unreachable", Guard: Public(),
			Response: HealthDTO{}, handler: s.health},
		{Method: "GET", Path: "/health/full", Tag: "system", Summary: "Every component's live figures", Guard: Public(),
			Response: FullHealthDTO{}, handler: s.healthFull},
		{Method: "GET", Path: "/metrics", Tag: "system", Summary: "Prometheus metrics", Guard: Public(), handler: s.metrics.handler()},
		{Method: "GET", Path: "/openapi.json", Tag: "system", Summary: "This document", Guard: Public(), handler: s.openAPI},
		{Method: "GET", Path: "/docs", Tag: "system", Summary: "Interactive API documentation", Guard: Public(), handler: s.docs},
	}
	// Each campus module keeps its routes in its own file.
	for _, module := range [][]Route{s.attendanceRoutes(), s.complaintRoutes(), s.scheduleRoutes(),
		s.clubRoutes(), s.riskRoutes(), s.agentRoutes(), s.notificationRoutes(), s.analyticsRoutes(), s.reportRoutes(),
		s.exportRoutes(), s.pprofRoutes()} {
		routes = append(routes, module...)
	}
	for _, r := range routes {
		s.add(r, limit)
	}
}
