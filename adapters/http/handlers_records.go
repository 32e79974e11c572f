package httpapi

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/student"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Server) listUsers(c *fiber.Ctx) error {
	q := newQuery(c)
	var f identity.UserFilter
	if r := q.str("role"); r != "" {
		role, err := identity.ParseRole(r)
		if err != nil {
			q.v.Add("role", "must be one of guest, student, staff, admin")
		} else {
			f.Role = &role
		}
	}
	f.Query = q.str("q")
	f.IsActive = q.boolp("is_active")
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Users.List(c.UserContext(), caller(c), f, p)
	if err != nil {
		return err
	}
	return list(c, r, userDTO)
}

func (s *Server) getUser(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	u, err := s.d.Users.Get(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(userDTO(u))
}

func (s *Server) patchUser(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req UserPatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	var ch identity.AdminChange
	if req.Role != nil {
		r, err := identity.ParseRole(*req.Role)
		if err != nil {
			return invalidField("role", "must be one of guest, student, staff, admin")
		}
		ch.Role = &r
	}
	ch.IsActive = req.IsActive
	if req.StudentID.Set {
		v := req.StudentID.Value
		ch.StudentID = &v
	}
	if req.Department.Set {
		v := req.Department.Value
		ch.Department = &v
	}
	u, err := s.d.Users.Update(c.UserContext(), caller(c), id, ch)
	if err != nil {
		return err
	}
	return c.JSON(userDTO(u))
}

func (s *Server) revokeUserSessions(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	n, err := s.d.Users.RevokeSessions(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(RevokedDTO{Message: "Sessions revoked", SessionsRevoked: n})
}

func (s *Server) listStudents(c *fiber.Ctx) error {
	q := newQuery(c)
	f := student.Filter{Department: q.str("department"), Section: q.str("section"), Query: q.str("q")}
	if n := q.intp("semester"); n != nil {
		f.Semester = *n
	}
	if st := q.str("status"); st != "" {
		v, err := student.ParseStatus(st)
		if err != nil {
			q.v.Add("status", "must be one of active, inactive, graduated")
		}
		f.Status = v
	}
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Students.List(c.UserContext(), caller(c), f, p)
	if err != nil {
		return err
	}
	return list(c, r, studentDTO)
}

func (s *Server) getStudent(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	st, err := s.d.Students.Get(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return sendStudent(c, fiber.StatusOK, st)
}

func (s *Server) createStudent(c *fiber.Ctx) error {
	var req StudentRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	st, err := s.d.Students.Create(c.UserContext(), caller(c), req.fields())
	if err != nil {
		return err
	}
	c.Location("/api/v1/students/" + itoa(st.ID))
	return sendStudent(c, fiber.StatusCreated, st)
}

func (s *Server) replaceStudent(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req StudentRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	st, err := s.d.Students.Replace(c.UserContext(), caller(c), id, req.fields(), ifMatch(c))
	if err != nil {
		return err
	}
	return sendStudent(c, fiber.StatusOK, st)
}

func (s *Server) patchStudent(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req StudentPatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	st, err := s.d.Students.Patch(c.UserContext(), caller(c), id, req.patch(), ifMatch(c))
	if err != nil {
		return err
	}
	return sendStudent(c, fiber.StatusOK, st)
}

// sendStudent answers with the student and its ETag, which a client sends
// back in If-Match to make a write conditional.
func sendStudent(c *fiber.Ctx, status int, st student.Student) error {
	c.Set(fiber.HeaderETag, `"`+st.Version()+`"`)
	return c.Status(status).JSON(studentDTO(st))
}

// ifMatch reads an If-Match precondition; "" when absent or "*".
func ifMatch(c *fiber.Ctx) string {
	v := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	v = strings.TrimPrefix(v, "W/")
	if v == "*" {
		return ""
	}
	return strings.Trim(v, `"`)
}

func (s *Server) deleteStudent(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.d.Students.Delete(c.UserContext(), caller(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listAudit(c *fiber.Ctx) error {
	q := newQuery(c)
	f := audit.Filter{ActorID: q.int64p("actor_id"), Action: q.str("action"), Resource: q.str("resource"),
		From: q.timep("from", false), To: q.timep("to", true)}
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Audit.List(c.UserContext(), caller(c), f, p)
	if err != nil {
		return err
	}
	return list(c, r, auditDTO)
}
