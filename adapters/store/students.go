package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
)

// studentReferences lists every table whose student_id column must not be
// left pointing at a deleted student; Referenced checks each, so a student
// with any of these rows is archived instead of deleted.
var studentReferences = []string{
	"users",
	"attendance_records",
	"attendance_checkins",
	"complaints",
	"risks",
	"club_members",
	"club_attendance",
}

type studentRow struct {
	bun.BaseModel `bun:"table:students,alias:s"`

	ID         int64     `bun:"id,pk,autoincrement"`
	Name       string    `bun:"name"`
	RollNo     string    `bun:"roll_no"`
	Department string    `bun:"department"`
	Semester   int       `bun:"semester"`
	Section    string    `bun:"section"`
	Email      *string   `bun:"email"`
	Status     string    `bun:"status"`
	CreatedAt  time.Time `bun:"created_at"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

func toStudentRow(s student.Student) studentRow {
	return studentRow{ID: s.ID, Name: s.Name, RollNo: s.RollNo, Department: s.Department,
		Semester: s.Semester, Section: s.Section, Email: s.Email, Status: string(s.Status),
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

func (r studentRow) domain() student.Student {
	return student.Student{ID: r.ID, Name: r.Name, RollNo: r.RollNo, Department: r.Department,
		Semester: r.Semester, Section: r.Section, Email: r.Email, Status: student.Status(r.Status),
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

// StudentRepository implements ports.StudentRepository.
type StudentRepository struct {
	db *DB
}

// NewStudentRepository returns a StudentRepository over db.
func NewStudentRepository(db *DB) *StudentRepository { return &StudentRepository{db: db} }

const thingStudent = "Student"

// Create inserts s and sets its ID (and, when unset, its timestamps).
func (r *StudentRepository) Create(ctx context.Context, s *student.Student) error {
	now := stamp(time.Time{})
	s.CreatedAt, s.UpdatedAt = stampOr(s.CreatedAt, now), stampOr(s.UpdatedAt, now)
	row := toStudentRow(*s)
	row.ID = 0
	if _, err := r.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("create student %q: %w", s.RollNo, translate(err, thingStudent))
	}
	s.ID = row.ID
	return nil
}

// Get loads one student.
func (r *StudentRepository) Get(ctx context.Context, id int64) (student.Student, error) {
	var row studentRow
	var err error
	if r.db.postgres() {
		err = r.db.queryRow(ctx, studentByIDSQL, id).Scan(&row.ID, &row.Name, &row.RollNo, &row.Department, &row.Semester,
			&row.Section, &row.Email, &row.Status, &row.CreatedAt, &row.UpdatedAt)
	} else {
		err = r.db.conn(ctx).NewSelect().Model(&row).Where("s.id = ?", id).Scan(ctx)
	}
	if err != nil {
		return student.Student{}, fmt.Errorf("get student %d: %w", id, translate(err, thingStudent))
	}
	return row.domain(), nil
}

// studentByIDSQL is Get on PostgreSQL, a prepared statement (see queryRow).
const studentByIDSQL = `SELECT id, name, roll_no, department, semester, section, email, status, created_at, updated_at
FROM students WHERE id = $1`

// GetByEmail finds the (first, by id) student with email, ignoring case.
func (r *StudentRepository) GetByEmail(ctx context.Context, email string) (student.Student, error) {
	var row studentRow
	err := r.db.conn(ctx).NewSelect().Model(&row).
		Where("lower(s.email) = ?", strings.ToLower(strings.TrimSpace(email))).
		OrderExpr("s.id").Limit(1).Scan(ctx)
	if err != nil {
		return student.Student{}, fmt.Errorf("get student by email: %w", translate(err, thingStudent))
	}
	return row.domain(), nil
}

// List returns one page of the students matching f, ordered by id.
func (r *StudentRepository) List(ctx context.Context, f student.Filter, p page.Request) (page.Result[student.Student], error) {
	var rows []studentRow
	q := r.db.conn(ctx).NewSelect().Model(&rows)
	if f.Department != "" {
		q = q.Where("s.department = ?", f.Department)
	}
	if f.Semester != 0 {
		q = q.Where("s.semester = ?", f.Semester)
	}
	if f.Section != "" {
		q = q.Where("s.section = ?", f.Section)
	}
	if f.Status != "" {
		q = q.Where("s.status = ?", string(f.Status))
	}
	if f.OnlyID != nil {
		q = q.Where("s.id = ?", *f.OnlyID)
	}
	if like := containsPattern(f.Query); like != "" {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("lower(s.name) LIKE ? ESCAPE ?", like, likeEscape).
				WhereOr("lower(s.roll_no) LIKE ? ESCAPE ?", like, likeEscape)
		})
	}
	p = normalize(p)
	total, err := q.OrderExpr("s.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[student.Student]{}, fmt.Errorf("list students: %w", translate(err, thingStudent))
	}
	items := make([]student.Student, len(rows))
	for i, row := range rows {
		items[i] = row.domain()
	}
	return page.Result[student.Student]{Items: items, Total: int(total), Request: p}, nil
}

// Update loads the student under a write lock, applies fn and saves it, all
// in one transaction (the caller's, if ctx carries one). fn's error aborts
// and is returned as is.
func (r *StudentRepository) Update(ctx context.Context, id int64, fn func(*student.Student) error) (student.Student, error) {
	return lockedUpdate(ctx, r.db, id, mapping[studentRow, student.Student]{thing: thingStudent, alias: "s", toDomain: plain(studentRow.domain), toRow: plain(toStudentRow),
		prepare: func(d *student.Student, id int64, _ studentRow) {
			d.ID = id
			d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), stampOr(d.UpdatedAt, stamp(time.Time{}))
		}}, fn)
}

// Delete removes the student; a missing row is fault.NotFound. Accounts
// linked to it are unlinked by the foreign key (ON DELETE SET NULL).
func (r *StudentRepository) Delete(ctx context.Context, id int64) error {
	return deleteByID[studentRow](ctx, r.db, id, thingStudent)
}

// Referenced reports whether any row in studentReferences points at the
// student.
func (r *StudentRepository) Referenced(ctx context.Context, id int64) (bool, error) {
	for _, table := range studentReferences {
		found, err := r.db.conn(ctx).NewSelect().TableExpr("?", bun.Ident(table)).
			Where("student_id = ?", id).Exists(ctx)
		if err != nil {
			return false, fmt.Errorf("check %s for student %d: %w", table, id, translate(err, thingStudent))
		}
		if found {
			return true, nil
		}
	}
	return false, nil
}
