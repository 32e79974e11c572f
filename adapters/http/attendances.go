package httpapi

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/gofiber/fiber/v2"

	appattendance "github.com/campus/campus/application/attendance"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/identity"
)

// qrSize is the side of a rendered check-in QR image, in pixels: large
// enough to scan from the back of a lecture hall on a projector.
const qrSize = 512

// attendanceRoutes lists the routes of the attendance module. The fixed
// paths (/summary, /bulk, /sessions, /check-in) come before /:id.
func (s *Server) attendanceRoutes() []Route {
	perm := RequirePermission
	base := v1 + "/attendance"
	filters := withPage(Param{"student_id", "integer", ""}, Param{"from", "string", "date (YYYY-MM-DD) or RFC 3339, inclusive"},
		Param{"to", "string", "date (YYYY-MM-DD) or RFC 3339, inclusive"}, Param{"status", "string", "present|absent|late|excused"},
		Param{"session", "string", "e.g. daily"})
	return []Route{
		{Method: "GET", Path: base, Tag: "attendance", Summary: "List attendance records (a student user sees their own)",
			Guard: perm(identity.ViewAttendance), Response: ListDTO[AttendanceDTO]{}, Query: filters, handler: s.listAttendance},
		{Method: "POST", Path: base, Tag: "attendance", Summary: "Mark one student's attendance (409 when already marked for that date and session)",
			Guard: perm(identity.MarkAttendance), Request: AttendanceRequest{}, Response: AttendanceDTO{}, Status: 201, handler: s.markAttendance},
		{Method: "POST", Path: base + "/bulk", Tag: "attendance", Summary: "Create or overwrite up to 10 000 records of one date and session in one transaction",
			Guard: perm(identity.MarkAttendance), Request: BulkAttendanceRequest{}, Response: BulkAttendanceDTO{}, handler: s.bulkAttendance},
		{Method: "GET", Path: base + "/summary", Tag: "attendance", Summary: "Counts per status and the attendance rate ((present+late)/(present+late+absent); null when nothing is due)",
			Guard: perm(identity.ViewAttendance), Response: AttendanceSummaryDTO{},
			Query: []Param{{"student_id", "integer", ""}, {"from", "string", "date, inclusive"}, {"to", "string", "date, inclusive"}}, handler: s.attendanceSummary},
		{Method: "POST", Path: base + "/sessions", Tag: "attendance", Summary: "Open a QR check-in session",
			Guard: perm(identity.MarkAttendance), Request: CheckInSessionRequest{}, Response: CheckInSessionDTO{}, Status: 201, handler: s.openCheckInSession},
		{Method: "GET", Path: base + "/sessions/:id", Tag: "attendance", Summary: "One QR check-in session",
			Guard: perm(identity.MarkAttendance), Response: CheckInSessionDTO{}, handler: s.getCheckInSession},
		{Method: "GET", Path: base + "/sessions/:id/code", Tag: "attendance", Summary: "The current check-in code (rotates every QR_ROTATE_SECONDS); ?format=png renders it as a QR image",
			Guard: perm(identity.MarkAttendance), Response: CheckInCodeDTO{}, Query: []Param{{"format", "string", "json (default) or png"}}, handler: s.checkInCode},
		{Method: "POST", Path: base + "/sessions/:id/close", Tag: "attendance", Summary: "Close a session: later check-ins are refused",
			Guard: perm(identity.MarkAttendance), Response: CheckInSessionDTO{}, handler: s.closeCheckInSession},
		{Method: "GET", Path: base + "/sessions/:id/live", Tag: "attendance", Summary: "Expected, present, late and absent counts of a session's audience",
			Guard: perm(identity.MarkAttendance), Response: LiveDTO{}, handler: s.liveCheckInSession},
		{Method: "GET", Path: base + "/sessions/:id/attempts", Tag: "attendance", Summary: "Refused check-ins of a session, with their reason",
			Guard: perm(identity.MarkAttendance), Response: ListDTO[CheckInAttemptDTO]{}, Query: withPage(), handler: s.checkInAttempts},
		{Method: "POST", Path: base + "/check-in", Tag: "attendance", Summary: "Check in to a session with its current code (student users; identity from the token, time from the server)",
			Guard: OnlyRole(identity.RoleStudent), Request: CheckInRequest{}, Response: CheckInDTO{}, Status: 201, handler: s.checkIn},
		{Method: "GET", Path: base + "/:id", Tag: "attendance", Summary: "One attendance record",
			Guard: perm(identity.ViewAttendance), Response: AttendanceDTO{}, handler: s.getAttendance},
		{Method: "PUT", Path: base + "/:id", Tag: "attendance", Summary: "Replace an attendance record (the editor becomes marked_by; the audit keeps the previous values)",
			Guard: perm(identity.EditAttendance), Request: AttendanceRequest{}, Response: AttendanceDTO{}, handler: s.replaceAttendance},
		{Method: "PATCH", Path: base + "/:id", Tag: "attendance", Summary: "Change some fields of an attendance record",
			Guard: perm(identity.EditAttendance), Request: AttendancePatchRequest{}, Response: AttendanceDTO{}, handler: s.patchAttendance},
		{Method: "DELETE", Path: base + "/:id", Tag: "attendance", Summary: "Delete an attendance record (kept in the audit trail)",
			Guard: perm(identity.EditAttendance), Status: 204, handler: s.deleteAttendance},
	}
}

// datep reads a date filter: YYYY-MM-DD, or an RFC 3339 time taken as the
// campus calendar day it falls on.
func (s *Server) datep(q *query, name string) *attendance.Date {
	v := q.str(name)
	if v == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		d := s.d.Attendance.Day(t)
		return &d
	}
	d, err := attendance.ParseDate(v)
	if err != nil {
		q.v.Add(name, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
		return nil
	}
	return &d
}

func (s *Server) attendanceFilter(q *query) attendance.Filter {
	f := attendance.Filter{StudentID: q.int64p("student_id"), From: s.datep(q, "from"), To: s.datep(q, "to"), Session: q.str("session")}
	if st := q.str("status"); st != "" {
		v, err := attendance.ParseStatus(st)
		if err != nil {
			q.v.Add("status", "must be one of present, absent, late, excused")
		}
		f.Status = v
	}
	return f
}

func (s *Server) listAttendance(c *fiber.Ctx) error {
	q := newQuery(c)
	f := s.attendanceFilter(q)
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Attendance.List(c.UserContext(), caller(c), f, p)
	if err != nil {
		return err
	}
	return list(c, r, attendanceDTO)
}

func (s *Server) markAttendance(c *fiber.Ctx) error {
	var req AttendanceRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	r, err := s.d.Attendance.Mark(c.UserContext(), caller(c), req.fields())
	if err != nil {
		return err
	}
	c.Location(v1 + "/attendance/" + itoa(r.ID))
	return c.Status(fiber.StatusCreated).JSON(attendanceDTO(r))
}

func (s *Server) bulkAttendance(c *fiber.Ctx) error {
	var req BulkAttendanceRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	res, err := s.d.Attendance.Bulk(c.UserContext(), caller(c), req.fields())
	if err != nil {
		return err
	}
	return c.JSON(BulkAttendanceDTO{Created: res.Created, Updated: res.Updated})
}

func (s *Server) attendanceSummary(c *fiber.Ctx) error {
	q := newQuery(c)
	f := attendance.Filter{StudentID: q.int64p("student_id"), From: s.datep(q, "from"), To: s.datep(q, "to")}
	if err := q.err(); err != nil {
		return err
	}
	sum, err := s.d.Attendance.Summary(c.UserContext(), caller(c), f)
	if err != nil {
		return err
	}
	dto := AttendanceSummaryDTO{StudentID: f.StudentID, Present: sum.Present, Absent: sum.Absent, Late: sum.Late,
		Excused: sum.Excused, Total: sum.Total, Rate: sum.Rate}
	if a, ok := actorOf(c); ok && dto.StudentID == nil && identity.ScopeOf(a.Role, identity.ViewAttendance) == identity.Own {
		dto.StudentID = a.StudentID
	}
	if f.From != nil {
		v := f.From.String()
		dto.From = &v
	}
	if f.To != nil {
		v := f.To.String()
		dto.To = &v
	}
	return c.JSON(dto)
}

func (s *Server) getAttendance(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.d.Attendance.Get(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(attendanceDTO(r))
}

func (s *Server) replaceAttendance(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req AttendanceRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	r, err := s.d.Attendance.Replace(c.UserContext(), caller(c), id, req.fields())
	if err != nil {
		return err
	}
	return c.JSON(attendanceDTO(r))
}

func (s *Server) patchAttendance(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req AttendancePatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	r, err := s.d.Attendance.Patch(c.UserContext(), caller(c), id, req.patch())
	if err != nil {
		return err
	}
	return c.JSON(attendanceDTO(r))
}

func (s *Server) deleteAttendance(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.d.Attendance.Delete(c.UserContext(), caller(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) openCheckInSession(c *fiber.Ctx) error {
	var req CheckInSessionRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	sess, err := s.d.Attendance.OpenSession(c.UserContext(), caller(c), req.fields())
	if err != nil {
		return err
	}
	c.Location(v1 + "/attendance/sessions/" + itoa(sess.ID))
	return c.Status(fiber.StatusCreated).JSON(checkInSessionDTO(sess))
}

func (s *Server) getCheckInSession(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sess, err := s.d.Attendance.GetSession(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(checkInSessionDTO(sess))
}

func (s *Server) checkInCode(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	format := strings.ToLower(strings.TrimSpace(c.Query("format")))
	if format != "" && format != "json" && format != "png" {
		return invalidField("format", "must be json or png")
	}
	code, expires, err := s.d.Attendance.Code(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	// A code is valid for seconds: no cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	if format != "png" {
		return c.JSON(CheckInCodeDTO{Code: code, ExpiresAt: expires.UTC()})
	}
	img, err := qrPNG(code)
	if err != nil {
		return err
	}
	c.Set("X-Code-Expires-At", expires.UTC().Format(time.RFC3339))
	c.Set(fiber.HeaderContentType, "image/png")
	return c.Send(img)
}

// qrPNG renders text as a QR code PNG with medium error correction, which
// survives a projector's glare without making the symbol dense.
func qrPNG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("encode QR: %w", err)
	}
	scaled, err := barcode.Scale(code, qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("scale QR: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, scaled); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

func (s *Server) closeCheckInSession(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sess, err := s.d.Attendance.CloseSession(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(checkInSessionDTO(sess))
}

func (s *Server) liveCheckInSession(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	l, err := s.d.Attendance.Live(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(LiveDTO{SessionID: id, Expected: l.Expected, Present: l.Present, Late: l.Late, Absent: l.Absent})
}

func (s *Server) checkInAttempts(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	q := newQuery(c)
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Attendance.Attempts(c.UserContext(), caller(c), id, p)
	if err != nil {
		return err
	}
	return list(c, r, checkInAttemptDTO)
}

func (s *Server) checkIn(c *fiber.Ctx) error {
	var req CheckInRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ci, err := s.d.Attendance.CheckIn(c.UserContext(), caller(c),
		appattendance.CheckInRequest{Code: req.Code, Latitude: req.Latitude, Longitude: req.Longitude})
	if err != nil {
		return err
	}
	c.Location(v1 + "/attendance/" + itoa(ci.AttendanceID))
	return c.Status(fiber.StatusCreated).JSON(CheckInDTO{SessionID: ci.SessionID, StudentID: ci.StudentID,
		AttendanceID: ci.AttendanceID, Status: string(ci.Status), CheckedInAt: ci.At.UTC()})
}
