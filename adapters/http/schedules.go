package httpapi

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/schedule"
)

// scheduleRoutes lists the routes of the schedule module. /conflicts comes
// before /:id, which would otherwise take "conflicts" for an id.
func (s *Server) scheduleRoutes() []Route {
	manage := RequirePermission(identity.ScheduleManagement)
	return []Route{
		{Method: "GET", Path: v1 + "/schedules", Tag: "schedules", Summary: "List timetable entries", Guard: Authenticated(),
			Response: ListDTO[ScheduleDTO]{},
			Query: withPage(Param{"from", "string", "date or RFC 3339, inclusive: entries with a moment at or after it"},
				Param{"to", "string", "date or RFC 3339, inclusive: entries with a moment at or before it"},
				Param{"event_type", "string", "class|exam|event|holiday"}, Param{"location", "string", "ignoring case"},
				Param{"department", "string", ""}, Param{"semester", "integer", "1-12"}, Param{"section", "string", ""},
				Param{"active", "boolean", ""}), handler: s.listSchedules},
		{Method: "POST", Path: v1 + "/schedules", Tag: "schedules",
			Summary: "Create an entry (409 with the clashing entries in `conflicts` when an active entry overlaps one in the same location, with the same instructor or for the same audience)",
			Guard:   manage, Request: ScheduleRequest{}, Response: ScheduleDTO{}, Status: 201, handler: s.createSchedule},
		{Method: "GET", Path: v1 + "/schedules/conflicts", Tag: "schedules",
			Summary: "Clashing pairs of active entries that exist in the data", Guard: Authenticated(), Response: ListDTO[ScheduleConflictDTO]{},
			Query:   withPage(Param{"from", "string", "date or RFC 3339, inclusive"}, Param{"to", "string", "date or RFC 3339, inclusive"}),
			handler: s.scheduleConflicts},
		{Method: "GET", Path: v1 + "/schedules/:id", Tag: "schedules", Summary: "One timetable entry", Guard: Authenticated(),
			Response: ScheduleDTO{}, handler: s.getSchedule},
		{Method: "PUT", Path: v1 + "/schedules/:id", Tag: "schedules", Summary: "Replace an entry (clash rules as for POST)", Guard: manage,
			Request: ScheduleRequest{}, Response: ScheduleDTO{}, handler: s.replaceSchedule},
		{Method: "PATCH", Path: v1 + "/schedules/:id", Tag: "schedules", Summary: "Change some fields of an entry (clash rules as for POST)",
			Guard: manage, Request: SchedulePatchRequest{}, Response: ScheduleDTO{}, handler: s.patchSchedule},
		{Method: "DELETE", Path: v1 + "/schedules/:id", Tag: "schedules", Summary: "Delete an entry", Guard: manage, Status: 204,
			handler: s.deleteSchedule},
	}
}

// ScheduleDTO is a timetable entry.
type ScheduleDTO struct {
	ID         int64     `json:"id"`
	Title      string    `json:"title"`
	EventType  string    `json:"event_type"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	Location   *string   `json:"location"`
	Instructor *string   `json:"instructor"`
	Department *string   `json:"department"`
	Semester   *int      `json:"semester"`
	Section    *string   `json:"section"`
	IsActive   bool      `json:"is_active"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func scheduleDTO(e schedule.Entry) ScheduleDTO {
	return ScheduleDTO{ID: e.ID, Title: e.Title, EventType: string(e.EventType), StartsAt: e.StartsAt.UTC(), EndsAt: e.EndsAt.UTC(),
		Location: optional(e.Location), Instructor: optional(e.Instructor), Department: optional(e.Department),
		Semester: e.Semester, Section: optional(e.Section), IsActive: e.IsActive, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
}

// ScheduleRequest is POST and PUT /schedules: every field. Times are RFC
// 3339; is_active defaults to true.
type ScheduleRequest struct {
	Title      string  `json:"title"`
	EventType  string  `json:"event_type"`
	StartsAt   string  `json:"starts_at"`
	EndsAt     string  `json:"ends_at"`
	Location   *string `json:"location"`
	Instructor *string `json:"instructor"`
	Department *string `json:"department"`
	Semester   *int    `json:"semester"`
	Section    *string `json:"section"`
	IsActive   *bool   `json:"is_active"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseTime reads an RFC 3339 time field; "" is left to the domain's
// "is required".
func parseTime(v *fault.Validation, field, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.Add(field, "must be an RFC 3339 time, e.g. 2026-11-27T09:30:00Z")
		return time.Time{}
	}
	return t.UTC()
}

func (r ScheduleRequest) fields() (schedule.Fields, error) {
	var v fault.Validation
	f := schedule.Fields{Title: r.Title, EventType: r.EventType, StartsAt: parseTime(&v, "starts_at", r.StartsAt),
		EndsAt: parseTime(&v, "ends_at", r.EndsAt), Location: deref(r.Location), Instructor: deref(r.Instructor),
		Department: deref(r.Department), Semester: r.Semester, Section: deref(r.Section), IsActive: r.IsActive}
	return f, v.Err()
}

// SchedulePatchRequest is PATCH /schedules/{id}: only the fields sent
// change; the optional fields may be null to clear them.
type SchedulePatchRequest struct {
	Title      *string        `json:"title"`
	EventType  *string        `json:"event_type"`
	StartsAt   *string        `json:"starts_at"`
	EndsAt     *string        `json:"ends_at"`
	Location   NullableString `json:"location"`
	Instructor NullableString `json:"instructor"`
	Department NullableString `json:"department"`
	Semester   Nullable       `json:"semester"`
	Section    NullableString `json:"section"`
	IsActive   *bool          `json:"is_active"`
}

func (r SchedulePatchRequest) patch() (schedule.Patch, error) {
	var v fault.Validation
	p := schedule.Patch{Title: r.Title, EventType: r.EventType, IsActive: r.IsActive}
	for _, t := range []struct {
		field string
		in    *string
		out   **time.Time
	}{{"starts_at", r.StartsAt, &p.StartsAt}, {"ends_at", r.EndsAt, &p.EndsAt}} {
		if t.in == nil {
			continue
		}
		if strings.TrimSpace(*t.in) == "" {
			v.Add(t.field, "is required")
			continue
		}
		tm := parseTime(&v, t.field, *t.in)
		*t.out = &tm
	}
	text := func(n NullableString) *string {
		if !n.Set {
			return nil
		}
		s := deref(n.Value)
		return &s
	}
	p.Location, p.Instructor, p.Department, p.Section = text(r.Location), text(r.Instructor), text(r.Department), text(r.Section)
	if r.Semester.Set {
		var sem *int
		if r.Semester.Value != nil {
			i := int(*r.Semester.Value) // the domain checks the range
			sem = &i
		}
		p.Semester = &sem
	}
	return p, v.Err()
}

// ScheduleConflictDTO is one clashing pair of entries.
type ScheduleConflictDTO struct {
	A       ScheduleRefDTO `json:"a"`
	B       ScheduleRefDTO `json:"b"`
	Reasons []string       `json:"reasons"`
}

// ScheduleRefDTO names an entry in a conflict.
type ScheduleRefDTO struct {
	ID         int64     `json:"id"`
	Title      string    `json:"title"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	Location   *string   `json:"location"`
	Instructor *string   `json:"instructor"`
}

func scheduleRef(e schedule.Entry) ScheduleRefDTO {
	return ScheduleRefDTO{ID: e.ID, Title: e.Title, StartsAt: e.StartsAt.UTC(), EndsAt: e.EndsAt.UTC(),
		Location: optional(e.Location), Instructor: optional(e.Instructor)}
}

func scheduleConflictDTO(p schedule.Pair) ScheduleConflictDTO {
	rs := make([]string, len(p.Reasons))
	for i, r := range p.Reasons {
		rs[i] = string(r)
	}
	return ScheduleConflictDTO{A: scheduleRef(p.A), B: scheduleRef(p.B), Reasons: rs}
}

func (s *Server) listSchedules(c *fiber.Ctx) error {
	q := newQuery(c)
	f := schedule.Filter{From: q.timep("from", false), To: q.timep("to", true), Location: q.str("location"),
		Department: q.str("department"), Section: q.str("section"), Active: q.boolp("active")}
	if v := q.str("event_type"); v != "" {
		t, err := schedule.ParseEventType(v)
		if err != nil {
			q.v.Add("event_type", "must be one of class, exam, event, holiday")
		}
		f.EventType = t
	}
	f.Semester = q.intp("semester")
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Schedules.List(c.UserContext(), caller(c), f, p)
	if err != nil {
		return err
	}
	return list(c, r, scheduleDTO)
}

func (s *Server) getSchedule(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	e, err := s.d.Schedules.Get(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(scheduleDTO(e))
}

func (s *Server) createSchedule(c *fiber.Ctx) error {
	var req ScheduleRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	f, err := req.fields()
	if err != nil {
		return err
	}
	e, err := s.d.Schedules.Create(c.UserContext(), caller(c), f)
	if err != nil {
		return err
	}
	c.Location(v1 + "/schedules/" + itoa(e.ID))
	return c.Status(fiber.StatusCreated).JSON(scheduleDTO(e))
}

func (s *Server) replaceSchedule(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req ScheduleRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	f, err := req.fields()
	if err != nil {
		return err
	}
	e, err := s.d.Schedules.Replace(c.UserContext(), caller(c), id, f)
	if err != nil {
		return err
	}
	return c.JSON(scheduleDTO(e))
}

func (s *Server) patchSchedule(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req SchedulePatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	p, err := req.patch()
	if err != nil {
		return err
	}
	e, err := s.d.Schedules.Patch(c.UserContext(), caller(c), id, p)
	if err != nil {
		return err
	}
	return c.JSON(scheduleDTO(e))
}

func (s *Server) deleteSchedule(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.d.Schedules.Delete(c.UserContext(), caller(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) scheduleConflicts(c *fiber.Ctx) error {
	q := newQuery(c)
	from, to := q.timep("from", false), q.timep("to", true)
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Schedules.Conflicts(c.UserContext(), caller(c), from, to, p)
	if err != nil {
		return err
	}
	return list(c, r, scheduleConflictDTO)
}
