package ports

import (
	"context"

	"github.com/campus/campus/domain/student"
)

// StudentLookup finds students by their natural key, for the CSV import's
// upsert on roll_no.
type StudentLookup interface {
	// ByRollNos returns the students whose roll_no (exactly) is one of
	// rollNos, keyed by roll_no; roll numbers no student has are left out.
	ByRollNos(ctx context.Context, rollNos []string) (map[string]student.Student, error)
}
