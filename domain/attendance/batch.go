package attendance

import (
	"fmt"
	"strings"

	"github.com/campus/campus/domain/fault"
)

// MaxBatch is the most records one bulk call may carry: a whole year group
// in one request, still one transaction.
const MaxBatch = 10000

// maxFieldErrors caps the field errors one refused batch reports, so that a
// wholly wrong file of 10 000 rows does not answer with 10 000 errors.
const maxFieldErrors = 50

// EntryFields is one record of a bulk call, as given.
type EntryFields struct {
	StudentID int64
	Status    string
	Remarks   string
}

// BatchFields is a bulk call: one day and session, many students.
type BatchFields struct {
	Date    string // "" means today
	Session string // "" means DefaultSession
	Records []EntryFields
}

// Entry is one validated record of a batch.
type Entry struct {
	StudentID int64
	Status    Status
	Remarks   string
}

// Batch is a validated bulk call.
type Batch struct {
	Date    Date
	Session string
	Entries []Entry
}

// NewBatch validates f: 1 to MaxBatch records, each valid, no student twice.
func NewBatch(f BatchFields, today Date) (Batch, error) {
	var v fault.Validation
	errs := 0
	add := func(field, msg string) {
		errs++
		if errs <= maxFieldErrors {
			v.Add(field, msg)
		}
	}
	b := Batch{Date: today}
	if strings.TrimSpace(f.Date) != "" {
		d, err := ParseDate(f.Date)
		if err != nil {
			add("date", "must be a date (YYYY-MM-DD)")
		}
		b.Date = d
	}
	session, msg := cleanSession(f.Session)
	if msg != "" {
		add("session", msg)
	}
	b.Session = session
	switch {
	case len(f.Records) == 0:
		add("records", "must contain at least one record")
	case len(f.Records) > MaxBatch:
		add("records", fmt.Sprintf("must contain at most %d records", MaxBatch))
	}
	if len(f.Records) > MaxBatch {
		return Batch{}, v.Err()
	}
	seen := make(map[int64]int, len(f.Records))
	b.Entries = make([]Entry, 0, len(f.Records))
	for i, r := range f.Records {
		field := func(name string) string { return fmt.Sprintf("records[%d].%s", i, name) }
		e := Entry{StudentID: r.StudentID}
		if r.StudentID <= 0 {
			add(field("student_id"), "must be a positive integer")
		} else if j, dup := seen[r.StudentID]; dup {
			add(field("student_id"), fmt.Sprintf("student %d is already in records[%d]", r.StudentID, j))
		} else {
			seen[r.StudentID] = i
		}
		if strings.TrimSpace(r.Status) == "" {
			add(field("status"), "is required")
		} else if st, err := ParseStatus(r.Status); err != nil {
			add(field("status"), statusChoices)
		} else {
			e.Status = st
		}
		remarks, msg := cleanRemarks(r.Remarks)
		if msg != "" {
			add(field("remarks"), msg)
		}
		e.Remarks = remarks
		b.Entries = append(b.Entries, e)
	}
	if errs > maxFieldErrors {
		v.Add("records", fmt.Sprintf("and %d more errors", errs-maxFieldErrors))
	}
	if err := v.Err(); err != nil {
		return Batch{}, err
	}
	return b, nil
}

// UnknownStudents is the validation error for records naming students that
// do not exist; index maps a student id to its position in the call.
func UnknownStudents(missing []int64, index func(id int64) (int, bool)) error {
	var v fault.Validation
	for n, id := range missing {
		if n == maxFieldErrors {
			v.Add("records", fmt.Sprintf("and %d more unknown students", len(missing)-n))
			break
		}
		field := "student_id"
		if i, ok := index(id); ok {
			field = fmt.Sprintf("records[%d].student_id", i)
		}
		v.Add(field, fmt.Sprintf("no student with id %d", id))
	}
	return v.Err()
}

// Upserted is the outcome for one record of an upsert.
type Upserted struct {
	Record  Record
	Created bool
	// Previous is the record as it was before, when it existed.
	Previous *Record
}

// Changed reports whether the upsert created the record or changed its
// status or remarks (re-marking the same values changes nothing a reader
// of the record would notice).
func (u Upserted) Changed() bool {
	return u.Created || u.Previous == nil ||
		u.Previous.Status != u.Record.Status || u.Previous.Remarks != u.Record.Remarks
}
