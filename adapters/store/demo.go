package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

var _ ports.DemoStore = (*DemoStore)(nil)

// demoChunk is how many rows one multi-row INSERT carries.
const demoChunk = 1000

// DemoStore implements ports.DemoStore: attendance goes through COPY on
// PostgreSQL (pgx's CopyFrom on the connection under Bun's pool) and
// through multi-row INSERTs in one transaction on SQLite; the few
// thousand students, complaints and risks through multi-row INSERTs on
// both.
type DemoStore struct {
	db *DB
}

// NewDemoStore returns a DemoStore over db.
func NewDemoStore(db *DB) *DemoStore { return &DemoStore{db: db} }

// HasDemo reports whether a student's roll number starts with prefix.
func (s *DemoStore) HasDemo(ctx context.Context, prefix string) (bool, error) {
	n, err := s.db.conn(ctx).NewSelect().Model((*studentRow)(nil)).Where("s.roll_no LIKE ?", prefix+"%").Limit(1).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("look for demo students: %w", translate(err, thingStudent))
	}
	return n > 0, nil
}

// InsertStudents writes ss demoChunk at a time and returns their ids.
func (s *DemoStore) InsertStudents(ctx context.Context, ss []student.Student) ([]int64, error) {
	ids := make([]int64, 0, len(ss))
	err := s.db.inTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(ss); start += demoChunk {
			part := ss[start:min(start+demoChunk, len(ss))]
			rows := make([]studentRow, len(part))
			for i, st := range part {
				rows[i] = toStudentRow(st)
				rows[i].ID = 0
			}
			if _, err := s.db.conn(ctx).NewInsert().Model(&rows).Returning("id").Exec(ctx); err != nil {
				return fmt.Errorf("insert demo students: %w", translate(err, thingStudent))
			}
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
		}
		return nil
	})
	return ids, err
}

// InsertAttendance writes rs: COPY on PostgreSQL, chunked INSERTs in one
// transaction on SQLite.
func (s *DemoStore) InsertAttendance(ctx context.Context, rs []attendance.Record) error {
	if len(rs) == 0 {
		return nil
	}
	if s.db.postgres() {
		return s.copyAttendance(ctx, rs)
	}
	return s.db.inTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(rs); start += demoChunk {
			part := rs[start:min(start+demoChunk, len(rs))]
			rows := make([]attendanceRow, len(part))
			for i, r := range part {
				rows[i] = toAttendanceRow(r)
				rows[i].ID = 0
			}
			if _, err := s.db.conn(ctx).NewInsert().Model(&rows).Exec(ctx); err != nil {
				return fmt.Errorf("insert demo attendance: %w", translate(err, thingAttendance))
			}
		}
		return nil
	})
}

func (s *DemoStore) copyAttendance(ctx context.Context, rs []attendance.Record) error {
	conn, err := s.db.bun.Conn(ctx)
	if err != nil {
		return fmt.Errorf("copy demo attendance: %w", translate(err, thingAttendance))
	}
	defer func() { _ = conn.Close() }()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("copy demo attendance: not a pgx connection")
		}
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(rs) {
				return nil, nil
			}
			r := rs[i]
			i++
			day := time.Date(r.Date.Year, r.Date.Month, r.Date.Day, 0, 0, 0, 0, time.UTC)
			return []any{r.StudentID, day, r.Session, string(r.Status), r.Remarks, r.MarkedBy, stamp(r.CreatedAt), stamp(r.UpdatedAt)}, nil
		})
		_, err := sc.Conn().CopyFrom(ctx, pgx.Identifier{"attendance_records"},
			[]string{"student_id", "date", "session", "status", "remarks", "marked_by", "created_at", "updated_at"}, src)
		if err != nil {
			return fmt.Errorf("copy demo attendance: %w", translate(err, thingAttendance))
		}
		return nil
	})
}

// InsertComplaints writes cs demoChunk at a time.
func (s *DemoStore) InsertComplaints(ctx context.Context, cs []complaint.Complaint) error {
	return s.db.inTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(cs); start += demoChunk {
			part := cs[start:min(start+demoChunk, len(cs))]
			rows := make([]complaintRow, len(part))
			for i, c := range part {
				rows[i] = toComplaintRow(c)
				rows[i].ID = 0
			}
			if _, err := s.db.conn(ctx).NewInsert().Model(&rows).Exec(ctx); err != nil {
				return fmt.Errorf("insert demo complaints: %w", translate(err, thingComplaint))
			}
		}
		return nil
	})
}

// demoTables are the tables the demo fills.
var demoTables = []string{"students", "attendance_records", "complaints", "risks"}

// Analyze runs ANALYZE on the demo's tables; on PostgreSQL VACUUM
// (ANALYZE), which also marks the new pages all-visible so that index-only
// scans need not visit the heap (a department's 120-day trend: 290 ms
// before, 72 ms after on 10 000 students).
func (s *DemoStore) Analyze(ctx context.Context) error {
	stmt := "ANALYZE "
	if s.db.dialect == Postgres {
		stmt = "VACUUM (ANALYZE) "
	}
	for _, t := range demoTables {
		if _, err := s.db.conn(ctx).ExecContext(ctx, stmt+t); err != nil {
			return fmt.Errorf("analyze %s: %w", t, translate(err, "table statistics"))
		}
	}
	return nil
}

// InsertRisks writes rs demoChunk at a time.
func (s *DemoStore) InsertRisks(ctx context.Context, rs []risk.Risk) error {
	return s.db.inTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(rs); start += demoChunk {
			part := rs[start:min(start+demoChunk, len(rs))]
			rows := make([]riskRow, len(part))
			for i, r := range part {
				row, err := toRiskRow(r)
				if err != nil {
					return err
				}
				row.ID = 0
				rows[i] = row
			}
			if _, err := s.db.conn(ctx).NewInsert().Model(&rows).Exec(ctx); err != nil {
				return fmt.Errorf("insert demo risks: %w", translate(err, thingRisk))
			}
		}
		return nil
	})
}
