package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/identity"
)

// complaintRoutes lists the routes of the complaint module.
func (s *Server) complaintRoutes() []Route {
	perm := RequirePermission
	return []Route{
		{Method: "GET", Path: v1 + "/complaints", Tag: "complaints", Summary: "List complaints (a student user sees their own)",
			Guard: perm(identity.ViewComplaint), Response: ListDTO[ComplaintDTO]{},
			Query: withPage(Param{"status", "string", "pending|in_progress|resolved|closed"},
				Param{"category", "string", "academic|conduct|health|facilities|other"},
				Param{"priority", "string", "low|normal|high|urgent"}, Param{"student_id", "integer", ""},
				Param{"overdue", "boolean", "true: open (pending, in_progress) and past due_at; false: all others"}),
			handler: s.listComplaints},
		{Method: "POST", Path: v1 + "/complaints", Tag: "complaints",
			Summary: "File a complaint (a student user files for their own record: student_id is taken from the account, another student's id answers 404; staff must give student_id)",
			Guard:   perm(identity.FileComplaint), Request: ComplaintRequest{}, Response: ComplaintDTO{}, Status: 201, handler: s.fileComplaint},
		{Method: "GET", Path: v1 + "/complaints/:id", Tag: "complaints", Summary: "One complaint (another student's answers 404)",
			Guard: perm(identity.ViewComplaint), Response: ComplaintDTO{}, handler: s.getComplaint},
		{Method: "PATCH", Path: v1 + "/complaints/:id", Tag: "complaints",
			Summary: "Move along the lifecycle (pending→in_progress→resolved→closed, resolved→in_progress, pending→closed with a resolution; others 409), change priority (due_at follows), assign (an active staff or admin), resolve; note goes to the history. An edit that changes nothing is not recorded",
			Guard:   perm(identity.ResolveComplaint), Request: ComplaintPatchRequest{}, Response: ComplaintDTO{}, handler: s.patchComplaint},
		{Method: "GET", Path: v1 + "/complaints/:id/history", Tag: "complaints", Summary: "Every change of a complaint, oldest first",
			Guard: perm(identity.ViewComplaint), Response: ListDTO[ComplaintHistoryDTO]{}, Query: withPage(), handler: s.complaintHistory},
	}
}

// ComplaintDTO is a complaint.
type ComplaintDTO struct {
	ID          int64      `json:"id"`
	StudentID   int64      `json:"student_id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Category    string     `json:"category"`
	Priority    string     `json:"priority"`
	Status      string     `json:"status"`
	AssignedTo  *int64     `json:"assigned_to"`
	Resolution  *string    `json:"resolution"`
	DueAt       time.Time  `json:"due_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	ResolvedBy  *int64     `json:"resolved_by"`
	FiledBy     int64      `json:"filed_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func complaintDTO(c complaint.Complaint) ComplaintDTO {
	return ComplaintDTO{ID: c.ID, StudentID: c.StudentID, Title: c.Title, Description: c.Description,
		Category: string(c.Category), Priority: string(c.Priority), Status: string(c.Status), AssignedTo: c.AssignedTo,
		Resolution: c.Resolution, DueAt: c.DueAt.UTC(), ResolvedAt: utcp(c.ResolvedAt), ResolvedBy: c.ResolvedBy,
		FiledBy: c.FiledBy, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// ComplaintRequest is POST /complaints. student_id may be left out by a
// student user (their own record is used).
type ComplaintRequest struct {
	StudentID   int64  `json:"student_id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Category    string `json:"category"`
	Priority    string `json:"priority"`
}

// ComplaintPatchRequest is PATCH /complaints/{id}: only the fields sent
// change; assigned_to and resolution may be null to clear them.
type ComplaintPatchRequest struct {
	Status     *string        `json:"status"`
	Priority   *string        `json:"priority"`
	AssignedTo Nullable       `json:"assigned_to"`
	Resolution NullableString `json:"resolution"`
	Note       *string        `json:"note"`
}

func (r ComplaintPatchRequest) change() complaint.Change {
	ch := complaint.Change{Status: r.Status, Priority: r.Priority, Note: r.Note}
	if r.AssignedTo.Set {
		v := r.AssignedTo.Value
		ch.AssignedTo = &v
	}
	if r.Resolution.Set {
		v := r.Resolution.Value
		ch.Resolution = &v
	}
	return ch
}

// ComplaintHistoryDTO is one write to a complaint.
type ComplaintHistoryDTO struct {
	ID          int64            `json:"id"`
	ComplaintID int64            `json:"complaint_id"`
	At          time.Time        `json:"at"`
	By          int64            `json:"by"`
	Action      string           `json:"action"`
	Changes     []FieldChangeDTO `json:"changes"`
	Note        string           `json:"note"`
}

// FieldChangeDTO is one field's value before and after a write.
type FieldChangeDTO struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

func complaintHistoryDTO(h complaint.HistoryEntry) ComplaintHistoryDTO {
	changes := make([]FieldChangeDTO, len(h.Changes))
	for i, c := range h.Changes {
		changes[i] = FieldChangeDTO{Field: c.Field, From: c.From, To: c.To}
	}
	return ComplaintHistoryDTO{ID: h.ID, ComplaintID: h.ComplaintID, At: h.At.UTC(), By: h.By, Action: h.Action,
		Changes: changes, Note: h.Note}
}

func (s *Server) listComplaints(c *fiber.Ctx) error {
	q := newQuery(c)
	var f complaint.Filter
	if v := q.str("status"); v != "" {
		st, err := complaint.ParseStatus(v)
		if err != nil {
			q.v.Add("status", "must be one of pending, in_progress, resolved, closed")
		}
		f.Status = st
	}
	if v := q.str("category"); v != "" {
		cat, err := complaint.ParseCategory(v)
		if err != nil {
			q.v.Add("category", "must be one of academic, conduct, health, facilities, other")
		}
		f.Category = cat
	}
	if v := q.str("priority"); v != "" {
		p, err := complaint.ParsePriority(v)
		if err != nil {
			q.v.Add("priority", "must be one of low, normal, high, urgent")
		}
		f.Priority = p
	}
	f.StudentID = q.int64p("student_id")
	f.Overdue = q.boolp("overdue")
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Complaints.List(c.UserContext(), caller(c), f, p)
	if err != nil {
		return err
	}
	return list(c, r, complaintDTO)
}

func (s *Server) fileComplaint(c *fiber.Ctx) error {
	var req ComplaintRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	cp, err := s.d.Complaints.File(c.UserContext(), caller(c), complaint.Fields{StudentID: req.StudentID, Title: req.Title,
		Description: req.Description, Category: req.Category, Priority: req.Priority})
	if err != nil {
		return err
	}
	c.Location(v1 + "/complaints/" + itoa(cp.ID))
	return c.Status(fiber.StatusCreated).JSON(complaintDTO(cp))
}

func (s *Server) getComplaint(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cp, err := s.d.Complaints.Get(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(complaintDTO(cp))
}

func (s *Server) patchComplaint(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req ComplaintPatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	cp, err := s.d.Complaints.Change(c.UserContext(), caller(c), id, req.change())
	if err != nil {
		return err
	}
	return c.JSON(complaintDTO(cp))
}

func (s *Server) complaintHistory(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	q := newQuery(c)
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Complaints.History(c.UserContext(), caller(c), id, p)
	if err != nil {
		return err
	}
	return list(c, r, complaintHistoryDTO)
}
