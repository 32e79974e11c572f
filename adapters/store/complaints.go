package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// complaintSet provides the complaint repositories (bound to their ports).
var complaintSet = wire.NewSet(
	NewComplaintRepository,
	wire.Bind(new(ports.ComplaintRepository), new(*ComplaintRepository)),
	wire.Bind(new(ports.ComplaintAgentStore), new(*ComplaintRepository)),
)

var (
	_ ports.ComplaintRepository = (*ComplaintRepository)(nil)
	_ ports.ComplaintAgentStore = (*ComplaintRepository)(nil)
)

type complaintRow struct {
	bun.BaseModel `bun:"table:complaints,alias:c"`

	ID          int64      `bun:"id,pk,autoincrement"`
	StudentID   int64      `bun:"student_id"`
	Title       string     `bun:"title"`
	Description string     `bun:"description"`
	Category    string     `bun:"category"`
	Priority    string     `bun:"priority"`
	Status      string     `bun:"status"`
	AssignedTo  *int64     `bun:"assigned_to"`
	Resolution  *string    `bun:"resolution"`
	DueAt       time.Time  `bun:"due_at"`
	ResolvedAt  *time.Time `bun:"resolved_at"`
	ResolvedBy  *int64     `bun:"resolved_by"`
	FiledBy     int64      `bun:"filed_by"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`

	CategoryDefaulted bool       `bun:"category_defaulted"`
	PriorityDefaulted bool       `bun:"priority_defaulted"`
	EscalatedDueAt    *time.Time `bun:"escalated_due_at"`
}

func toComplaintRow(c complaint.Complaint) complaintRow {
	return complaintRow{ID: c.ID, StudentID: c.StudentID, Title: c.Title, Description: c.Description,
		Category: string(c.Category), Priority: string(c.Priority), Status: string(c.Status), AssignedTo: c.AssignedTo,
		Resolution: c.Resolution, DueAt: stamp(c.DueAt), ResolvedAt: stampPtr(c.ResolvedAt), ResolvedBy: c.ResolvedBy,
		FiledBy: c.FiledBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		CategoryDefaulted: c.CategoryDefaulted, PriorityDefaulted: c.PriorityDefaulted, EscalatedDueAt: stampPtr(c.EscalatedDueAt)}
}

func (r complaintRow) domain() complaint.Complaint {
	return complaint.Complaint{ID: r.ID, StudentID: r.StudentID, Title: r.Title, Description: r.Description,
		Category: complaint.Category(r.Category), Priority: complaint.Priority(r.Priority), Status: complaint.Status(r.Status),
		AssignedTo: r.AssignedTo, Resolution: r.Resolution, DueAt: utc(r.DueAt), ResolvedAt: utcPtr(r.ResolvedAt),
		ResolvedBy: r.ResolvedBy, FiledBy: r.FiledBy, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
		CategoryDefaulted: r.CategoryDefaulted, PriorityDefaulted: r.PriorityDefaulted, EscalatedDueAt: utcPtr(r.EscalatedDueAt)}
}

// complaintHistoryRow keeps the field changes as JSON text, as auditRow
// does, so one mapping serves jsonb and SQLite's text.
type complaintHistoryRow struct {
	bun.BaseModel `bun:"table:complaint_history,alias:h"`

	ID          int64     `bun:"id,pk,autoincrement"`
	ComplaintID int64     `bun:"complaint_id"`
	At          time.Time `bun:"at"`
	ActorID     int64     `bun:"actor_id"`
	Action      string    `bun:"action"`
	Changes     string    `bun:"changes"`
	Note        string    `bun:"note"`
}

// changeJSON is the stored shape of one field change.
type changeJSON struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

func (r complaintHistoryRow) domain() (complaint.HistoryEntry, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(r.Changes)))
	dec.UseNumber()
	var cs []changeJSON
	if err := dec.Decode(&cs); err != nil {
		return complaint.HistoryEntry{}, fmt.Errorf("complaint history %d changes: %w", r.ID, err)
	}
	changes := make([]complaint.FieldChange, len(cs))
	for i, c := range cs {
		changes[i] = complaint.FieldChange{Field: c.Field, From: number(c.From), To: number(c.To)}
	}
	return complaint.HistoryEntry{ID: r.ID, ComplaintID: r.ComplaintID, At: utc(r.At), By: r.ActorID, Action: r.Action,
		Changes: changes, Note: r.Note}, nil
}

// number gives back ids as the int64 they were written as (JSON would
// otherwise turn them into float64).
func number(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, _ := n.Float64()
	return f
}

// ComplaintRepository implements ports.ComplaintRepository.
type ComplaintRepository struct {
	db *DB
}

// NewComplaintRepository returns a ComplaintRepository over db.
func NewComplaintRepository(db *DB) *ComplaintRepository { return &ComplaintRepository{db: db} }

const thingComplaint = "Complaint"

// Create inserts c and sets its ID (and, when unset, its timestamps).
func (r *ComplaintRepository) Create(ctx context.Context, c *complaint.Complaint) error {
	now := stamp(time.Time{})
	c.CreatedAt, c.UpdatedAt = stampOr(c.CreatedAt, now), stampOr(c.UpdatedAt, now)
	row := toComplaintRow(*c)
	row.ID = 0
	if _, err := r.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("create complaint: %w", translate(err, thingComplaint))
	}
	*c = row.domain()
	return nil
}

// Get loads one complaint.
func (r *ComplaintRepository) Get(ctx context.Context, id int64) (complaint.Complaint, error) {
	var row complaintRow
	if err := r.db.conn(ctx).NewSelect().Model(&row).Where("c.id = ?", id).Scan(ctx); err != nil {
		return complaint.Complaint{}, fmt.Errorf("get complaint %d: %w", id, translate(err, thingComplaint))
	}
	return row.domain(), nil
}

// List returns one page of the complaints matching f, ordered by id.
func (r *ComplaintRepository) List(ctx context.Context, f complaint.Filter, p page.Request) (page.Result[complaint.Complaint], error) {
	var rows []complaintRow
	q := r.db.conn(ctx).NewSelect().Model(&rows)
	if f.Status != "" {
		q = q.Where("c.status = ?", string(f.Status))
	}
	if f.Category != "" {
		q = q.Where("c.category = ?", string(f.Category))
	}
	if f.Priority != "" {
		q = q.Where("c.priority = ?", string(f.Priority))
	}
	if f.StudentID != nil {
		q = q.Where("c.student_id = ?", *f.StudentID)
	}
	if f.OnlyStudent != nil {
		q = q.Where("c.student_id = ?", *f.OnlyStudent)
	}
	if f.Overdue != nil {
		open := bun.List([]string{string(complaint.Pending), string(complaint.InProgress)})
		at := stamp(f.OverdueAt)
		if *f.Overdue {
			q = q.Where("c.status IN (?) AND c.due_at < ?", open, at)
		} else {
			q = q.Where("NOT (c.status IN (?) AND c.due_at < ?)", open, at)
		}
	}
	p = normalize(p)
	total, err := q.OrderExpr("c.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[complaint.Complaint]{}, fmt.Errorf("list complaints: %w", translate(err, thingComplaint))
	}
	items := make([]complaint.Complaint, len(rows))
	for i, row := range rows {
		items[i] = row.domain()
	}
	return page.Result[complaint.Complaint]{Items: items, Total: int(total), Request: p}, nil
}

// Update loads the complaint under a write lock, applies fn and saves it,
// all in one transaction (the caller's, if ctx carries one). fn's error
// aborts and is returned as is.
func (r *ComplaintRepository) Update(ctx context.Context, id int64, fn func(*complaint.Complaint) error) (complaint.Complaint, error) {
	return lockedUpdate(ctx, r.db, id, mapping[complaintRow, complaint.Complaint]{thing: thingComplaint, alias: "c", toDomain: plain(complaintRow.domain), toRow: plain(toComplaintRow),
		prepare: func(d *complaint.Complaint, id int64, stored complaintRow) {
			d.ID = id
			d.CreatedAt, d.UpdatedAt = utc(stored.CreatedAt), stampOr(d.UpdatedAt, stamp(time.Time{}))
		}}, fn)
}

// AppendHistory records h and sets its ID.
func (r *ComplaintRepository) AppendHistory(ctx context.Context, h *complaint.HistoryEntry) error {
	cs := make([]changeJSON, len(h.Changes))
	for i, c := range h.Changes {
		cs[i] = changeJSON(c)
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return fmt.Errorf("encode complaint %d history: %w", h.ComplaintID, err)
	}
	row := complaintHistoryRow{ComplaintID: h.ComplaintID, At: stamp(h.At), ActorID: h.By, Action: h.Action,
		Changes: string(b), Note: h.Note}
	if _, err := r.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("append complaint %d history: %w", h.ComplaintID, translate(err, thingComplaint))
	}
	h.ID, h.At = row.ID, row.At
	return nil
}

// History returns one page of the complaint's history, oldest first.
func (r *ComplaintRepository) History(ctx context.Context, complaintID int64, p page.Request) (page.Result[complaint.HistoryEntry], error) {
	var rows []complaintHistoryRow
	p = normalize(p)
	total, err := r.db.conn(ctx).NewSelect().Model(&rows).Where("h.complaint_id = ?", complaintID).
		OrderExpr("h.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[complaint.HistoryEntry]{}, fmt.Errorf("complaint %d history: %w", complaintID, translate(err, thingComplaint))
	}
	items := make([]complaint.HistoryEntry, len(rows))
	for i, row := range rows {
		if items[i], err = row.domain(); err != nil {
			return page.Result[complaint.HistoryEntry]{}, err
		}
	}
	return page.Result[complaint.HistoryEntry]{Items: items, Total: int(total), Request: p}, nil
}

// openComplaintStatuses are the statuses of complaints still awaiting
// handling (complaint.Status.Open), as an IN list.
var openComplaintStatuses = bun.List([]string{string(complaint.Pending), string(complaint.InProgress)})

// Untriaged lists pending complaints with no triage entry in their
// history, by id after afterID (NOT EXISTS over the history's
// (complaint_id, id) index).
func (r *ComplaintRepository) Untriaged(ctx context.Context, afterID int64, limit int) ([]int64, error) {
	var ids []int64
	err := r.db.conn(ctx).NewSelect().TableExpr("complaints AS c").Column("c.id").
		Where("c.status = ?", string(complaint.Pending)).Where("c.id > ?", afterID).
		Where("NOT EXISTS (SELECT 1 FROM complaint_history AS h WHERE h.complaint_id = c.id AND h.action = ?)", complaint.ActionTriaged).
		OrderExpr("c.id").Limit(int64(max(limit, 1))).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("untriaged complaints: %w", translate(err, thingComplaint))
	}
	return ids, nil
}

// Triaged reports whether the complaint's history has a triage entry.
func (r *ComplaintRepository) Triaged(ctx context.Context, complaintID int64) (bool, error) {
	ok, err := r.db.conn(ctx).NewSelect().TableExpr("complaint_history AS h").
		Where("h.complaint_id = ? AND h.action = ?", complaintID, complaint.ActionTriaged).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("complaint %d triaged: %w", complaintID, translate(err, thingComplaint))
	}
	return ok, nil
}

// LeastLoadedStaff counts the open complaints assigned to every active
// staff account in one grouped query and takes the smallest count, the
// lowest id on a tie.
func (r *ComplaintRepository) LeastLoadedStaff(ctx context.Context) (complaint.Assignee, error) {
	var a complaint.Assignee
	err := r.db.conn(ctx).NewSelect().TableExpr("users AS u").
		ColumnExpr("u.id").ColumnExpr("COUNT(c.id) AS open_count").
		Join("LEFT JOIN complaints AS c ON c.assigned_to = u.id AND c.status IN (?)", openComplaintStatuses).
		Where("u.role = ?", string(identity.RoleStaff)).Where("u.is_active = ?", true).
		GroupExpr("u.id").OrderExpr("open_count, u.id").Limit(1).Scan(ctx, &a.UserID, &a.Open)
	if err != nil {
		return complaint.Assignee{}, fmt.Errorf("least loaded staff: %w", translate(err, "Active staff member"))
	}
	return a, nil
}

// Breached lists open complaints due before now whose due time has not
// been escalated yet, by id after afterID.
func (r *ComplaintRepository) Breached(ctx context.Context, now time.Time, afterID int64, limit int) ([]int64, error) {
	var ids []int64
	err := r.db.conn(ctx).NewSelect().TableExpr("complaints AS c").Column("c.id").
		Where("c.status IN (?) AND c.due_at < ?", openComplaintStatuses, stamp(now)).
		Where("(c.escalated_due_at IS NULL OR c.escalated_due_at <> c.due_at)").Where("c.id > ?", afterID).
		OrderExpr("c.id").Limit(int64(max(limit, 1))).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("breached complaints: %w", translate(err, thingComplaint))
	}
	return ids, nil
}

// ActiveAdmins lists the ids of active admin accounts.
func (r *ComplaintRepository) ActiveAdmins(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := r.db.conn(ctx).NewSelect().TableExpr("users AS u").Column("u.id").
		Where("u.role = ?", string(identity.RoleAdmin)).Where("u.is_active = ?", true).
		OrderExpr("u.id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("active admins: %w", translate(err, "User"))
	}
	return ids, nil
}
