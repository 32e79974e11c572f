package student_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/student"
)

// FuzzParseStudentsCSV feeds arbitrary bytes to the importer's parser and
// row rules: they never panic, a failure is always Invalid or TooLarge (a
// client's problem, never an internal error), row numbers are positive and
// increasing, and row errors only name student columns or the row itself.
func FuzzParseStudentsCSV(f *testing.F) {
	for _, s := range []string{
		"name,roll_no,department,semester\nAda,CS-1,CS,3\n",
		"\ufeffName,Roll No,Department,Semester,Email,Status\r\n\"Lovelace, Ada\",CS-1,CS,3,ada@x.org,ACTIVE\r\n,,,,,\r\nB,CS-1,EE,x,bad,gone\r\n",
		"name,roll_no,department,semester\n\"Multi\nline\",R,D,1\nshort\n",
		"name,roll_no,department,semester,colour\n",
		"name,\"roll_no\n",
		"",
		"\x00\x01\x02",
	} {
		f.Add([]byte(s))
	}
	const maxRows = 20
	known := append(slices.Clone(student.ImportColumns), student.ColRow)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := student.ParseCSV(bytes.NewReader(data), maxRows)
		if err != nil {
			if k := fault.KindOf(err); k != fault.Invalid && k != fault.TooLarge {
				t.Fatalf("kind %v for %q: %v", k, data, err)
			}
			return
		}
		if len(file.Rows) > maxRows {
			t.Fatalf("%d rows over the limit", len(file.Rows))
		}
		records := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		prev := 0
		for _, r := range file.Rows {
			if r.Row <= prev || r.Row > records {
				t.Fatalf("row number %d after %d (at most %d records)", r.Row, prev, records)
			}
			prev = r.Row
			_, out, errs := r.Apply(nil)
			if (out == student.Failed) != (len(errs) > 0) {
				t.Fatalf("row %d: outcome %v with %d errors", r.Row, out, len(errs))
			}
			for _, e := range errs {
				if e.Row != r.Row || !slices.Contains(known, e.Field) || e.Message == "" {
					t.Fatalf("row %d: error %+v", r.Row, e)
				}
			}
		}
	})
}
