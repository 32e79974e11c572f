package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/page"
)

// auditRow keeps before/after as JSON text: PostgreSQL casts it into its
// jsonb column, SQLite stores it as is, and both hand back text, so one
// mapping serves both.
type auditRow struct {
	bun.BaseModel `bun:"table:audit_logs,alias:a"`

	ID         int64     `bun:"id,pk,autoincrement"`
	At         time.Time `bun:"at"`
	ActorID    *int64    `bun:"actor_id"`
	ActorRole  string    `bun:"actor_role"`
	Action     string    `bun:"action"`
	Resource   string    `bun:"resource"`
	ResourceID string    `bun:"resource_id"`
	IP         string    `bun:"ip"`
	RequestID  string    `bun:"request_id"`
	Before     *string   `bun:"before"`
	After      *string   `bun:"after"`
}

func (r auditRow) domain() (audit.Entry, error) {
	e := audit.Entry{ID: r.ID, At: utc(r.At), ActorID: r.ActorID, ActorRole: r.ActorRole, Action: r.Action,
		Resource: r.Resource, ResourceID: r.ResourceID, IP: r.IP, RequestID: r.RequestID}
	var err error
	if e.Before, err = decodeJSON(r.Before); err != nil {
		return audit.Entry{}, fmt.Errorf("audit %d before: %w", r.ID, err)
	}
	if e.After, err = decodeJSON(r.After); err != nil {
		return audit.Entry{}, fmt.Errorf("audit %d after: %w", r.ID, err)
	}
	return e, nil
}

func encodeJSON(m map[string]any) (*string, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

func decodeJSON(s *string) (map[string]any, error) {
	if s == nil {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(*s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// AuditLog implements ports.AuditLog.
type AuditLog struct {
	db *DB
}

// NewAuditLog returns an AuditLog over db.
func NewAuditLog(db *DB) *AuditLog { return &AuditLog{db: db} }

const thingAudit = "Audit entry"

// Record appends e to the trail.
func (l *AuditLog) Record(ctx context.Context, e audit.Entry) error {
	return l.RecordMany(ctx, []audit.Entry{e})
}

// RecordMany appends the entries to the trail in one statement, in order.
func (l *AuditLog) RecordMany(ctx context.Context, es []audit.Entry) error {
	if len(es) == 0 {
		return nil
	}
	rows := make([]auditRow, len(es))
	for i, e := range es {
		row := auditRow{At: stamp(e.At), ActorID: e.ActorID, ActorRole: e.ActorRole, Action: e.Action,
			Resource: e.Resource, ResourceID: e.ResourceID, IP: e.IP, RequestID: e.RequestID}
		var err error
		if row.Before, err = encodeJSON(e.Before); err != nil {
			return fmt.Errorf("record audit %s: encode before: %w", e.Action, err)
		}
		if row.After, err = encodeJSON(e.After); err != nil {
			return fmt.Errorf("record audit %s: encode after: %w", e.Action, err)
		}
		rows[i] = row
	}
	if _, err := l.db.conn(ctx).NewInsert().Model(&rows).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("record audit %s: %w", es[0].Action, translate(err, thingAudit))
	}
	return nil
}

// List returns one page of entries matching f (From and To inclusive),
// ordered by id, which is also the order they were recorded in.
func (l *AuditLog) List(ctx context.Context, f audit.Filter, p page.Request) (page.Result[audit.Entry], error) {
	var rows []auditRow
	q := l.db.conn(ctx).NewSelect().Model(&rows)
	if f.ActorID != nil {
		q = q.Where("a.actor_id = ?", *f.ActorID)
	}
	if f.Action != "" {
		q = q.Where("a.action = ?", f.Action)
	}
	if f.Resource != "" {
		q = q.Where("a.resource = ?", f.Resource)
	}
	if f.From != nil {
		q = q.Where("a.at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("a.at <= ?", f.To.UTC())
	}
	p = normalize(p)
	total, err := q.OrderExpr("a.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[audit.Entry]{}, fmt.Errorf("list audit log: %w", translate(err, thingAudit))
	}
	items := make([]audit.Entry, len(rows))
	for i, row := range rows {
		if items[i], err = row.domain(); err != nil {
			return page.Result[audit.Entry]{}, err
		}
	}
	return page.Result[audit.Entry]{Items: items, Total: int(total), Request: p}, nil
}
