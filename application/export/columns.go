package export

import (
	"encoding/json"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
)

// Columns are the header of each kind's file: the resource's API fields
// in the contract's order (api.md §6).
var columns = map[string][]string{
	KindStudents: {"id", "name", "roll_no", "department", "semester", "section", "email", "status", "created_at", "updated_at"},
	KindAttendance: {"id", "student_id", "date", "session", "status", "remarks", "marked_by", "created_at",
		"updated_at"},
	KindComplaints: {"id", "student_id", "title", "description", "category", "priority", "status", "assigned_to",
		"resolution", "due_at", "resolved_at", "resolved_by", "created_at", "updated_at"},
	KindRisks: {"id", "student_id", "risk_type", "severity", "score", "factors", "description", "source", "status",
		"action_taken", "created_at", "resolved_at", "resolved_by"},
}

// Columns lists the header of an export of kind (nil for an unknown kind).
func Columns(kind string) []string { return columns[kind] }

// Cells are nil (null: an empty cell), string, int64 or float64;
// timestamps are RFC 3339 in UTC, dates YYYY-MM-DD.

func studentCells(s student.Student) []any {
	return []any{s.ID, s.Name, s.RollNo, s.Department, int64(s.Semester), s.Section, strp(s.Email), string(s.Status),
		ts(s.CreatedAt), ts(s.UpdatedAt)}
}

func attendanceCells(r attendance.Record) []any {
	return []any{r.ID, r.StudentID, r.Date.String(), r.Session, string(r.Status), r.Remarks, intp(r.MarkedBy),
		ts(r.CreatedAt), ts(r.UpdatedAt)}
}

func complaintCells(c complaint.Complaint) []any {
	return []any{c.ID, c.StudentID, c.Title, c.Description, string(c.Category), string(c.Priority), string(c.Status),
		intp(c.AssignedTo), strp(c.Resolution), ts(c.DueAt), tsp(c.ResolvedAt), intp(c.ResolvedBy), ts(c.CreatedAt),
		ts(c.UpdatedAt)}
}

// factorCell is one factor as the API shows it, for the factors cell (a
// JSON list, as in the API).
type factorCell struct {
	Name         string  `json:"name"`
	Value        any     `json:"value"`
	Weight       float64 `json:"weight"`
	Contribution float64 `json:"contribution"`
}

func riskCells(r risk.Risk) []any {
	fs := make([]factorCell, len(r.Factors))
	for i, f := range r.Factors {
		fs[i] = factorCell{Name: f.Name, Value: f.Value, Weight: f.Weight, Contribution: f.Contribution}
	}
	factors, err := json.Marshal(fs)
	if err != nil { // a factor value that is not JSON: keep the row, show the names
		factors = []byte("[]")
	}
	var score any
	if r.Score != nil {
		score = *r.Score
	}
	return []any{r.ID, intp(r.StudentID), string(r.Type), string(r.Severity), score, string(factors), r.Description,
		r.Source, string(r.Status), strp(r.ActionTaken), ts(r.CreatedAt), tsp(r.ResolvedAt), intp(r.ResolvedBy)}
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func tsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func strp(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func intp(n *int64) any {
	if n == nil {
		return nil
	}
	return *n
}

func studentID(s student.Student) int64       { return s.ID }
func attendanceID(r attendance.Record) int64  { return r.ID }
func complaintID(c complaint.Complaint) int64 { return c.ID }
func riskID(r risk.Risk) int64                { return r.ID }
