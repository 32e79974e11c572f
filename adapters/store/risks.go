package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/wire"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/ports"
)

// riskSet provides the risk repositories (bound to their ports) and the
// student lookup of the CSV import, which the same slice owns.
var riskSet = wire.NewSet(
	NewRiskRepository,
	wire.Bind(new(ports.RiskRepository), new(*RiskRepository)),
	NewStudentLookup,
	wire.Bind(new(ports.StudentLookup), new(*StudentLookup)),
)

var (
	_ ports.RiskRepository = (*RiskRepository)(nil)
	_ ports.StudentLookup  = (*StudentLookup)(nil)
)

// riskRow keeps the factors as JSON text, like the audit trail: PostgreSQL
// casts it into its jsonb column, SQLite stores it as is.
type riskRow struct {
	bun.BaseModel `bun:"table:risks,alias:r"`

	ID          int64      `bun:"id,pk,autoincrement"`
	StudentID   *int64     `bun:"student_id"`
	RiskType    string     `bun:"risk_type"`
	Severity    string     `bun:"severity"`
	Score       *float64   `bun:"score"`
	Factors     string     `bun:"factors"`
	Description string     `bun:"description"`
	Source      string     `bun:"source"`
	Status      string     `bun:"status"`
	ActionTaken *string    `bun:"action_taken"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
	ResolvedAt  *time.Time `bun:"resolved_at"`
	ResolvedBy  *int64     `bun:"resolved_by"`
	SubjectKey  *string    `bun:"subject_key"`
}

// factorJSON is the stored form of one factor.
type factorJSON struct {
	Name         string  `json:"name"`
	Value        any     `json:"value"`
	Weight       float64 `json:"weight"`
	Contribution float64 `json:"contribution"`
}

func toRiskRow(r risk.Risk) (riskRow, error) {
	fs := make([]factorJSON, len(r.Factors))
	for i, f := range r.Factors {
		fs[i] = factorJSON{Name: f.Name, Value: f.Value, Weight: f.Weight, Contribution: f.Contribution}
	}
	b, err := json.Marshal(fs)
	if err != nil {
		return riskRow{}, fmt.Errorf("encode factors: %w", err)
	}
	return riskRow{ID: r.ID, StudentID: r.StudentID, RiskType: string(r.Type), Severity: string(r.Severity), Score: r.Score,
		Factors: string(b), Description: r.Description, Source: r.Source, Status: string(r.Status), ActionTaken: r.ActionTaken,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ResolvedAt: r.ResolvedAt, ResolvedBy: r.ResolvedBy, SubjectKey: nonEmpty(r.SubjectKey)}, nil
}

func (r riskRow) domain() (risk.Risk, error) {
	var fs []factorJSON
	if r.Factors != "" {
		if err := json.Unmarshal([]byte(r.Factors), &fs); err != nil {
			return risk.Risk{}, fmt.Errorf("risk %d factors: %w", r.ID, err)
		}
	}
	factors := make([]risk.Factor, len(fs))
	for i, f := range fs {
		factors[i] = risk.Factor{Name: f.Name, Value: f.Value, Weight: f.Weight, Contribution: f.Contribution}
	}
	return risk.Risk{ID: r.ID, StudentID: r.StudentID, Type: risk.Type(r.RiskType), Severity: risk.Severity(r.Severity),
		Score: r.Score, Factors: factors, Description: r.Description, Source: r.Source, Status: risk.Status(r.Status),
		ActionTaken: r.ActionTaken, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), ResolvedAt: utcPtr(r.ResolvedAt),
		ResolvedBy: r.ResolvedBy, SubjectKey: deref(r.SubjectKey)}, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func riskRows(rows []riskRow) ([]risk.Risk, error) {
	out := make([]risk.Risk, len(rows))
	for i, row := range rows {
		r, err := row.domain()
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// RiskRepository implements ports.RiskRepository.
type RiskRepository struct {
	db *DB
}

// NewRiskRepository returns a RiskRepository over db.
func NewRiskRepository(db *DB) *RiskRepository { return &RiskRepository{db: db} }

const thingRisk = "Risk"

// Create inserts r and sets its ID (and, when unset, its timestamps).
func (repo *RiskRepository) Create(ctx context.Context, r *risk.Risk) error {
	now := stamp(time.Time{})
	r.CreatedAt, r.UpdatedAt = stampOr(r.CreatedAt, now), stampOr(r.UpdatedAt, now)
	r.ResolvedAt = stampPtr(r.ResolvedAt)
	row, err := toRiskRow(*r)
	if err != nil {
		return err
	}
	row.ID = 0
	if _, err := repo.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("create risk: %w", translate(err, thingRisk))
	}
	r.ID = row.ID
	return nil
}

// CreateMany inserts the records in one transaction (the caller's, if ctx
// carries one), in order, and returns them with their IDs and timestamps.
func (repo *RiskRepository) CreateMany(ctx context.Context, rs []risk.Risk) ([]risk.Risk, error) {
	out := make([]risk.Risk, len(rs))
	copy(out, rs)
	err := repo.db.inTx(ctx, func(ctx context.Context) error {
		for i := range out {
			if err := repo.Create(ctx, &out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get loads one record.
func (repo *RiskRepository) Get(ctx context.Context, id int64) (risk.Risk, error) {
	var row riskRow
	if err := repo.db.conn(ctx).NewSelect().Model(&row).Where("r.id = ?", id).Scan(ctx); err != nil {
		return risk.Risk{}, fmt.Errorf("get risk %d: %w", id, translate(err, thingRisk))
	}
	return row.domain()
}

// List returns one page of the records matching f, ordered by id.
func (repo *RiskRepository) List(ctx context.Context, f risk.Filter, p page.Request) (page.Result[risk.Risk], error) {
	var rows []riskRow
	q := repo.db.conn(ctx).NewSelect().Model(&rows)
	if f.StudentID != nil {
		q = q.Where("r.student_id = ?", *f.StudentID)
	}
	if f.Status != "" {
		q = q.Where("r.status = ?", string(f.Status))
	}
	if f.Severity != "" {
		q = q.Where("r.severity = ?", string(f.Severity))
	}
	if f.Type != "" {
		q = q.Where("r.risk_type = ?", string(f.Type))
	}
	p = normalize(p)
	total, err := q.OrderExpr("r.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[risk.Risk]{}, fmt.Errorf("list risks: %w", translate(err, thingRisk))
	}
	items, err := riskRows(rows)
	if err != nil {
		return page.Result[risk.Risk]{}, err
	}
	return page.Result[risk.Risk]{Items: items, Total: int(total), Request: p}, nil
}

// OpenForStudent lists the student's open records, ordered by id.
func (repo *RiskRepository) OpenForStudent(ctx context.Context, studentID int64) ([]risk.Risk, error) {
	var rows []riskRow
	err := repo.db.conn(ctx).NewSelect().Model(&rows).
		Where("r.student_id = ?", studentID).Where("r.status = ?", string(risk.Open)).OrderExpr("r.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("open risks of student %d: %w", studentID, translate(err, thingRisk))
	}
	return riskRows(rows)
}

// OpenBySubject returns the open record about subject (fault.NotFound
// when there is none).
func (repo *RiskRepository) OpenBySubject(ctx context.Context, subject string) (risk.Risk, error) {
	var row riskRow
	err := repo.db.conn(ctx).NewSelect().Model(&row).
		Where("r.subject_key = ?", subject).Where("r.status = ?", string(risk.Open)).Limit(1).Scan(ctx)
	if err != nil {
		return risk.Risk{}, fmt.Errorf("open risk about %s: %w", subject, translate(err, thingRisk))
	}
	return row.domain()
}

// EverAbout reports whether any record, open or resolved, is about subject.
func (repo *RiskRepository) EverAbout(ctx context.Context, subject string) (bool, error) {
	ok, err := repo.db.conn(ctx).NewSelect().Model((*riskRow)(nil)).Where("r.subject_key = ?", subject).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("risks about %s: %w", subject, translate(err, thingRisk))
	}
	return ok, nil
}

// Update loads the record under a write lock, applies fn and saves it, all
// in one transaction (the caller's, if ctx carries one). fn's error aborts
// and is returned as is.
func (repo *RiskRepository) Update(ctx context.Context, id int64, fn func(*risk.Risk) error) (risk.Risk, error) {
	return lockedUpdate(ctx, repo.db, id, mapping[riskRow, risk.Risk]{thing: thingRisk, alias: "r", toDomain: riskRow.domain, toRow: toRiskRow,
		prepare: func(d *risk.Risk, id int64, _ riskRow) {
			d.ID = id
			d.CreatedAt, d.UpdatedAt, d.ResolvedAt = utc(d.CreatedAt), stampOr(d.UpdatedAt, stamp(time.Time{})), stampPtr(d.ResolvedAt)
		}}, fn)
}

// UpdateMany loads the records under write locks, taken in id order so
// that two runs over overlapping sets wait for each other instead of
// deadlocking, passes them to fn and saves the records fn returns, all in
// one transaction (the caller's, if ctx carries one). Ids with no record
// are left out of fn's input; fn's error aborts and is returned as is.
func (repo *RiskRepository) UpdateMany(ctx context.Context, ids []int64, fn func([]risk.Risk) ([]risk.Risk, error)) ([]risk.Risk, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var saved []risk.Risk
	err := repo.db.inTx(ctx, func(ctx context.Context) error {
		var rows []riskRow
		q := repo.db.conn(ctx).NewSelect().Model(&rows).Where("r.id IN (?)", bun.List(ids)).Order("r.id")
		if repo.db.postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("load %d risks: %w", len(ids), translate(err, thingRisk))
		}
		loaded, err := riskRows(rows)
		if err != nil {
			return err
		}
		known := make(map[int64]riskRow, len(rows))
		for _, row := range rows {
			known[row.ID] = row
		}
		changed, err := fn(loaded)
		if err != nil {
			return err
		}
		out := make([]riskRow, 0, len(changed))
		for _, d := range changed {
			if _, ok := known[d.ID]; !ok {
				return fmt.Errorf("save risk %d: it was not among the records loaded for update", d.ID)
			}
			d.CreatedAt, d.UpdatedAt, d.ResolvedAt = utc(d.CreatedAt), stampOr(d.UpdatedAt, stamp(time.Time{})), stampPtr(d.ResolvedAt)
			row, err := toRiskRow(d)
			if err != nil {
				return err
			}
			out = append(out, row)
		}
		if err := repo.saveRows(ctx, out); err != nil {
			return err
		}
		saved, err = riskRows(out)
		return err
	})
	if err != nil {
		return nil, err
	}
	return saved, nil
}

// saveRows writes the rows' mutable columns: on PostgreSQL in one
// statement over arrays, on SQLite (one local writer) row by row.
func (repo *RiskRepository) saveRows(ctx context.Context, rows []riskRow) error {
	if len(rows) == 0 {
		return nil
	}
	if !repo.db.postgres() || len(rows) == 1 {
		for i := range rows {
			if _, err := repo.db.conn(ctx).NewUpdate().Model(&rows[i]).WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("save risk %d: %w", rows[i].ID, translate(err, thingRisk))
			}
		}
		return nil
	}
	n := len(rows)
	ids, resolvedBy := make([]int64, n), make([]*int64, n)
	severity, factors, description, status := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	score := make([]*float64, n)
	actionTaken, subjectKey := make([]*string, n), make([]*string, n)
	updatedAt, resolvedAt := make([]time.Time, n), make([]*time.Time, n)
	for i, r := range rows {
		ids[i], resolvedBy[i] = r.ID, r.ResolvedBy
		severity[i], factors[i], description[i], status[i] = r.Severity, r.Factors, r.Description, r.Status
		score[i], actionTaken[i], subjectKey[i] = r.Score, r.ActionTaken, r.SubjectKey
		updatedAt[i], resolvedAt[i] = r.UpdatedAt, r.ResolvedAt
	}
	res, err := repo.db.conn(ctx).NewRaw(`UPDATE risks AS r SET severity = d.severity, score = d.score, factors = d.factors,
		description = d.description, status = d.status, action_taken = d.action_taken, updated_at = d.updated_at,
		resolved_at = d.resolved_at, resolved_by = d.resolved_by, subject_key = d.subject_key
		FROM unnest(?::bigint[], ?::text[], ?::float8[], ?::jsonb[], ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::bigint[], ?::text[])
			AS d(id, severity, score, factors, description, status, action_taken, updated_at, resolved_at, resolved_by, subject_key)
		WHERE r.id = d.id`,
		pgdialect.Array(ids), pgdialect.Array(severity), pgdialect.Array(score), pgdialect.Array(factors), pgdialect.Array(description),
		pgdialect.Array(status), pgdialect.Array(actionTaken), pgdialect.Array(updatedAt), pgdialect.Array(resolvedAt),
		pgdialect.Array(resolvedBy), pgdialect.Array(subjectKey)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save %d risks: %w", n, translate(err, thingRisk))
	}
	if got, err := res.RowsAffected(); err == nil && got != int64(n) {
		return fmt.Errorf("save %d risks: %d rows updated", n, got)
	}
	return nil
}
