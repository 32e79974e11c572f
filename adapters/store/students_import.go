package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/student"
)

// lookupChunk bounds the IN list of one query: an import of 5 000 rows
// asks in a few queries, each well under every driver's parameter limit.
const lookupChunk = 500

// StudentLookup implements ports.StudentLookup on the students table.
type StudentLookup struct {
	db *DB
}

// NewStudentLookup returns a StudentLookup over db.
func NewStudentLookup(db *DB) *StudentLookup { return &StudentLookup{db: db} }

// ByRollNos returns the students with these exact roll numbers, keyed by
// roll_no, reading in ctx's transaction when it carries one.
func (l *StudentLookup) ByRollNos(ctx context.Context, rollNos []string) (map[string]student.Student, error) {
	out := make(map[string]student.Student, len(rollNos))
	for start := 0; start < len(rollNos); start += lookupChunk {
		chunk := rollNos[start:min(start+lookupChunk, len(rollNos))]
		var rows []studentRow
		if err := l.db.conn(ctx).NewSelect().Model(&rows).Where("s.roll_no IN (?)", bun.List(chunk)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("students by roll_no: %w", translate(err, thingStudent))
		}
		for _, row := range rows {
			out[row.RollNo] = row.domain()
		}
	}
	return out, nil
}
