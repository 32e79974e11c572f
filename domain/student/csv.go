package student

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
)

// MaxImportRows is how many data rows one synchronous import accepts;
// larger files run as a background task.
const MaxImportRows = 5000

// MaxImportFileRows is how many data rows one file may hold at all (a
// background import); the request body limit usually binds first.
const MaxImportFileRows = 200000

// Import columns: the header names some of these, in any order and case
// ("Roll No", "roll-no" and "ROLL_NO" all mean roll_no).
const (
	ColName       = "name"
	ColRollNo     = "roll_no"
	ColDepartment = "department"
	ColSemester   = "semester"
	ColSection    = "section"
	ColEmail      = "email"
	ColStatus     = "status"
	// ColRow is the field a row error names when the row as a whole is
	// wrong (its number of values), not one of its cells.
	ColRow = "row"
)

// ImportColumns lists every column an import file may name.
var ImportColumns = []string{ColName, ColRollNo, ColDepartment, ColSemester, ColSection, ColEmail, ColStatus}

// requiredColumns must be in every header: a record cannot exist without them.
var requiredColumns = []string{ColName, ColRollNo, ColDepartment, ColSemester}

// RowError is one problem with one data row of an import; Row 1 is the
// first row after the header.
type RowError struct {
	Row     int
	Field   string
	Message string
}

// ImportRow is one data row: its number, its values by column (only the
// columns the header names, trimmed) and the problems found reading it.
type ImportRow struct {
	Row    int
	values map[string]string
	errs   []RowError
}

// NewImportRow builds a row from column values, for tests and callers that
// read rows from elsewhere; keys are column names as in ImportColumns.
func NewImportRow(row int, values map[string]string) ImportRow {
	v := make(map[string]string, len(values))
	for k, x := range values {
		v[k] = strings.TrimSpace(x)
	}
	return ImportRow{Row: row, values: v}
}

// RollNo is the row's natural key, trimmed ("" when absent).
func (r ImportRow) RollNo() string { return r.values[ColRollNo] }

// Errors are the problems found while reading the row (before validation).
func (r ImportRow) Errors() []RowError { return r.errs }

// Outcome is what applying a row does to the stored records.
type Outcome int

// Outcomes. A row equal to its stored record is Unchanged: it is neither
// written nor audited, so importing the same file twice changes nothing.
const (
	Failed Outcome = iota
	Created
	Updated
	Unchanged
)

func (o Outcome) String() string {
	switch o {
	case Created:
		return "created"
	case Updated:
		return "updated"
	case Unchanged:
		return "unchanged"
	}
	return "failed"
}

// Apply works out the record the row describes. With existing nil it is a
// new student (Created); otherwise the row updates that record (Updated,
// or Unchanged when nothing differs). Columns the file does not have keep
// the stored value; in a column it has, an empty cell clears an email and
// a section, and keeps the status (active for a new student). Validation
// is the record's own (New, Replace), so the import follows the same rules
// as the API; its failures come back as row errors.
func (r ImportRow) Apply(existing *Student) (Student, Outcome, []RowError) {
	if len(r.errs) > 0 {
		return Student{}, Failed, r.errs
	}
	var base Student
	var f Fields
	if existing != nil {
		base = *existing
		f = existing.Fields()
	}
	var errs []RowError
	for _, col := range ImportColumns {
		val, ok := r.values[col]
		if !ok {
			continue
		}
		switch col {
		case ColName:
			f.Name = val
		case ColRollNo:
			f.RollNo = val
		case ColDepartment:
			f.Department = val
		case ColSection:
			f.Section = val
		case ColSemester:
			n, err := strconv.Atoi(val)
			if err != nil {
				errs = append(errs, RowError{Row: r.Row, Field: ColSemester, Message: "must be an integer between 1 and 12"})
				n = 1 // a placeholder so the other cells are still checked
			}
			f.Semester = n
		case ColEmail:
			if val == "" {
				f.Email = nil
			} else {
				e := val
				f.Email = &e
			}
		case ColStatus:
			if val != "" {
				f.Status = val
			}
		}
	}
	st := base
	if err := st.Replace(f); err != nil {
		var fe *fault.Error
		if !errors.As(err, &fe) {
			return Student{}, Failed, append(errs, RowError{Row: r.Row, Field: ColRow, Message: err.Error()})
		}
		for _, x := range fe.Fields {
			errs = append(errs, RowError{Row: r.Row, Field: x.Field, Message: x.Message})
		}
	}
	if len(errs) > 0 {
		return Student{}, Failed, errs
	}
	switch {
	case existing == nil:
		return st, Created, nil
	case st.sameData(*existing):
		return st, Unchanged, nil
	}
	return st, Updated, nil
}

// sameData reports whether every writable field of s equals o's.
func (s Student) sameData(o Student) bool {
	sameEmail := (s.Email == nil) == (o.Email == nil) && (s.Email == nil || *s.Email == *o.Email)
	return s.Name == o.Name && s.RollNo == o.RollNo && s.Department == o.Department && s.Semester == o.Semester &&
		s.Section == o.Section && s.Status == o.Status && sameEmail
}

// ImportFile is a parsed student CSV: the columns its header names (in file
// order, normalised) and its data rows. Rows whose cells are all empty are
// left out (spreadsheets export them at the end) but keep their number, so
// every row number is the one the user sees after the header.
type ImportFile struct {
	Columns []string
	Rows    []ImportRow
}

const bom = "\ufeff"

// ParseCSV reads a student CSV with a header row. A file that is not CSV
// (broken quoting, not UTF-8 text), has no header, or whose header names
// unknown, repeated or too few columns is fault.Invalid; more than maxRows
// data rows is fault.TooLarge. Problems of single rows (a wrong number of
// values, a roll_no already used by an earlier row) are recorded on the row
// and do not stop the file. A UTF-8 byte order mark is skipped.
func ParseCSV(r io.Reader, maxRows int) (ImportFile, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(bom)); err == nil && string(b) == bom {
		_, _ = br.Discard(len(bom))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // a wrong count is one row's problem, not the file's
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return ImportFile{}, fileInvalid("is empty; its first row must name the columns (" + strings.Join(ImportColumns, ", ") + ")")
	}
	if err != nil {
		return ImportFile{}, csvInvalid(err)
	}
	if !textual(header) {
		return ImportFile{}, fileInvalid("is not UTF-8 CSV text")
	}
	cols, err := parseHeader(header)
	if err != nil {
		return ImportFile{}, err
	}
	out := ImportFile{Columns: cols, Rows: []ImportRow{}}
	firstRow := map[string]int{}
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ImportFile{}, csvInvalid(err)
		}
		if !textual(rec) {
			return ImportFile{}, fileInvalid(fmt.Sprintf("is not UTF-8 CSV text (data row %d)", n))
		}
		if blank(rec) {
			continue
		}
		if len(out.Rows) == maxRows {
			return ImportFile{}, fault.Newf(fault.TooLarge,
				"The file has more than %d data rows; import at most %d rows per request (split the file)", maxRows, maxRows)
		}
		row := ImportRow{Row: n}
		if len(rec) != len(cols) {
			row.errs = []RowError{{Row: n, Field: ColRow, Message: fmt.Sprintf("has %d values but the header names %d columns", len(rec), len(cols))}}
			out.Rows = append(out.Rows, row)
			continue
		}
		row.values = make(map[string]string, len(cols))
		for i, c := range cols {
			row.values[c] = strings.TrimSpace(rec[i])
		}
		if roll := row.RollNo(); roll != "" {
			if first, dup := firstRow[roll]; dup {
				row.errs = []RowError{{Row: n, Field: ColRollNo, Message: fmt.Sprintf("repeats the roll_no of row %d", first)}}
			} else {
				firstRow[roll] = n
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// parseHeader normalises the column names and checks them, naming every
// unknown, repeated or missing column at once.
func parseHeader(header []string) ([]string, error) {
	known := map[string]bool{}
	for _, c := range ImportColumns {
		known[c] = true
	}
	var v fault.Validation
	seen := map[string]bool{}
	cols := make([]string, len(header))
	var unknown []string
	for i, h := range header {
		c := normalizeColumn(h)
		cols[i] = c
		switch {
		case c == "":
			v.Add("header", fmt.Sprintf("column %d has no name", i+1))
		case !known[c]:
			unknown = append(unknown, strings.TrimSpace(h))
			v.Add(strings.TrimSpace(h), "is not a student column (the columns are "+strings.Join(ImportColumns, ", ")+")")
		case seen[c]:
			v.Add(c, "column appears more than once")
		}
		seen[c] = true
	}
	for _, c := range requiredColumns {
		if !seen[c] {
			v.Add(c, "column is required")
		}
	}
	if err := v.Err(); err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			fe.Message = "The header row is not valid"
			if len(unknown) > 0 {
				fe.Message += "; unknown columns: " + strings.Join(unknown, ", ")
			}
		}
		return nil, err
	}
	return cols, nil
}

func normalizeColumn(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.Join(strings.FieldsFunc(h, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
}

func blank(rec []string) bool {
	for _, x := range rec {
		if strings.TrimSpace(x) != "" {
			return false
		}
	}
	return true
}

// textual rejects binary files: invalid UTF-8 or NUL bytes.
func textual(rec []string) bool {
	for _, x := range rec {
		if !utf8.ValidString(x) || strings.IndexByte(x, 0) >= 0 {
			return false
		}
	}
	return true
}

func fileInvalid(msg string) error {
	return &fault.Error{Kind: fault.Invalid, Message: "The file " + msg,
		Fields: []fault.FieldError{{Field: "file", Message: msg}}}
}

func csvInvalid(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fileInvalid(fmt.Sprintf("is not valid CSV: line %d, column %d: %v", pe.Line, pe.Column, pe.Err))
	}
	return fileInvalid("could not be read")
}
