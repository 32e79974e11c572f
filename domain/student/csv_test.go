package student_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/student"
)

func parse(t *testing.T, s string) student.ImportFile {
	t.Helper()
	f, err := student.ParseCSV(strings.NewReader(s), student.MaxImportRows)
	require.NoError(t, err)
	return f
}

func TestParseCSVHeaderVariants(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   []string
	}{
		{"canonical", "name,roll_no,department,semester", []string{"name", "roll_no", "department", "semester"}},
		{"any order and case", "SEMESTER,Department,Roll_No,NAME,Email", []string{"semester", "department", "roll_no", "name", "email"}},
		{"spaces and hyphens", " Roll No ,name, department ,semester,roll-no-x", nil},
		{"spelled with spaces", "Name,Roll No,Department,Semester,Section,E-mail,Status", nil},
		{"all seven", "name,roll_no,department,semester,section,email,status", []string{"name", "roll_no", "department", "semester", "section", "email", "status"}},
		{"bom", "\ufeffname,roll_no,department,semester", []string{"name", "roll_no", "department", "semester"}},
		{"bom before a quoted name", "\ufeff\"name\",roll_no,department,semester", []string{"name", "roll_no", "department", "semester"}},
		{"crlf", "name,roll_no,department,semester\r\n", []string{"name", "roll_no", "department", "semester"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := student.ParseCSV(strings.NewReader(tt.header+"\n"), 10)
			if tt.want == nil {
				require.Error(t, err)
				assert.Equal(t, fault.Invalid, fault.KindOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.Columns)
			assert.Empty(t, f.Rows)
		})
	}
}

func headerFields(t *testing.T, err error) map[string]string {
	t.Helper()
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, fault.Invalid, fe.Kind, err)
	out := map[string]string{}
	for _, f := range fe.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func TestParseCSVBadFiles(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantFields []string
		detail     string
	}{
		{name: "empty", body: "", wantFields: []string{"file"}},
		{name: "only a bom", body: "\ufeff", wantFields: []string{"file"}},
		{name: "only blank lines", body: "\n\n\n", wantFields: []string{"file"}},
		{name: "unknown columns named", body: "name,roll_no,department,semester,Colour,gpa\n", wantFields: []string{"Colour", "gpa"},
			detail: "The header row is not valid; unknown columns: Colour, gpa"},
		{name: "missing required", body: "name,email\nA,a@b.c\n", wantFields: []string{"roll_no", "department", "semester"}},
		{name: "repeated column", body: "name,roll_no,department,semester,NAME\n", wantFields: []string{"name"}},
		{name: "unnamed column", body: "name,roll_no,,department,semester\n", wantFields: []string{"header"}},
		{name: "bad quoting in header", body: "name,\"roll_no,department\n", wantFields: []string{"file"}},
		{name: "bare quote in a row", body: "name,roll_no,department,semester\nA\"da,1,CS,1\n", wantFields: []string{"file"}},
		{name: "unterminated quote", body: "name,roll_no,department,semester\n\"Ada,1,CS,1\n", wantFields: []string{"file"}},
		{name: "binary", body: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", wantFields: []string{"file"}},
		{name: "nul in a row", body: "name,roll_no,department,semester\nA\x00,1,CS,1\n", wantFields: []string{"file"}},
		{name: "json", body: `{"name":"Ada"}`, wantFields: []string{"file"}},
		{name: "prose", body: "Dear registrar, here are the students", wantFields: []string{"Dear registrar", "here are the students", "name", "roll_no", "department", "semester"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := student.ParseCSV(strings.NewReader(tt.body), 10)
			got := headerFields(t, err)
			for _, f := range tt.wantFields {
				assert.Contains(t, got, f)
			}
			assert.Len(t, got, len(tt.wantFields), got)
			if tt.detail != "" {
				assert.EqualError(t, err, tt.detail)
			}
		})
	}
	_, err := student.ParseCSV(strings.NewReader("name,roll_no,department,semester\nA\"da,1,CS,1\n"), 10)
	assert.Contains(t, err.Error(), "line 2", "the detail says where")
}

func TestParseCSVRowLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,roll_no,department,semester\n")
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, "S%d,R%d,CS,1\n", i, i)
	}
	f, err := student.ParseCSV(strings.NewReader(b.String()+",,,\n"), 3)
	require.NoError(t, err, "exactly the limit (and a blank row) is fine")
	assert.Len(t, f.Rows, 3)
	_, err = student.ParseCSV(strings.NewReader(b.String()+"S4,R4,CS,1\n"), 3)
	assert.Equal(t, fault.TooLarge, fault.KindOf(err))
	assert.Contains(t, err.Error(), "more than 3 data rows")
}

func TestParseCSVRows(t *testing.T) {
	body := "name,roll_no,department,semester,email\r\n" +
		"\"Lovelace, Ada\",CS-1,CS,3,ada@x.org\r\n" + // 1: quoted comma
		"\"Grace \"\"Amazing\"\" Hopper\",CS-2,CS,4,\r\n" + // 2: escaped quotes
		"\r\n" + // a blank line is not a row
		",,,,\r\n" + // 3: all empty: skipped, but numbered
		"\"Multi\nLine\",CS-3,CS,5,\r\n" + // 4: embedded newline
		"Short,CS-4,CS\r\n" + // 5: too few values
		"Dup,CS-1,EE,1,\r\n" + // 6: roll_no of row 1
		"  Spaced  ,  CS-5 , CS , 2 , \r\n" // 7: trimmed
	f := parse(t, body)
	var nums []int
	for _, r := range f.Rows {
		nums = append(nums, r.Row)
	}
	assert.Equal(t, []int{1, 2, 4, 5, 6, 7}, nums)

	st, out, errs := f.Rows[0].Apply(nil)
	require.Empty(t, errs)
	assert.Equal(t, student.Created, out)
	assert.Equal(t, "Lovelace, Ada", st.Name)
	assert.Equal(t, "ada@x.org", *st.Email)
	st, _, _ = f.Rows[1].Apply(nil)
	assert.Equal(t, `Grace "Amazing" Hopper`, st.Name)
	assert.Nil(t, st.Email)
	st, _, _ = f.Rows[2].Apply(nil)
	assert.Equal(t, "Multi\nLine", st.Name)
	_, out, errs = f.Rows[3].Apply(nil)
	assert.Equal(t, student.Failed, out)
	assert.Equal(t, []student.RowError{{Row: 5, Field: "row", Message: "has 3 values but the header names 5 columns"}}, errs)
	_, _, errs = f.Rows[4].Apply(nil)
	assert.Equal(t, []student.RowError{{Row: 6, Field: "roll_no", Message: "repeats the roll_no of row 1"}}, errs)
	st, _, errs = f.Rows[5].Apply(nil)
	require.Empty(t, errs)
	assert.Equal(t, "Spaced", st.Name)
	assert.Equal(t, "CS-5", f.Rows[5].RollNo())
	assert.Equal(t, 2, st.Semester)
}

func TestImportRowApply(t *testing.T) {
	stored := student.Student{ID: 9, Name: "Ada", RollNo: "CS-1", Department: "CS", Semester: 3, Section: "A",
		Email: ptr("ada@x.org"), Status: student.Graduated}
	row := func(v map[string]string) student.ImportRow { return student.NewImportRow(4, v) }
	full := map[string]string{"name": "Ada", "roll_no": "CS-1", "department": "CS", "semester": "3"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		values   map[string]string
		existing *student.Student
		want     student.Outcome
		wantErrs []student.RowError
		check    func(t *testing.T, s student.Student)
	}{
		{name: "new defaults to active", values: full, want: student.Created, check: func(t *testing.T, s student.Student) {
			assert.Equal(t, student.Active, s.Status)
			assert.Zero(t, s.ID)
		}},
		{name: "new with status any case", values: with("status", "INACTIVE"), want: student.Created, check: func(t *testing.T, s student.Student) {
			assert.Equal(t, student.Inactive, s.Status)
		}},
		{name: "same values are unchanged", values: full, existing: &stored, want: student.Unchanged},
		{name: "absent columns keep stored values", values: with("semester", "4"), existing: &stored, want: student.Updated,
			check: func(t *testing.T, s student.Student) {
				assert.Equal(t, 9, int(s.ID))
				assert.Equal(t, 4, s.Semester)
				assert.Equal(t, "A", s.Section)
				assert.Equal(t, "ada@x.org", *s.Email)
				assert.Equal(t, student.Graduated, s.Status)
			}},
		{name: "empty status cell keeps status", values: with("status", ""), existing: &stored, want: student.Unchanged},
		{name: "empty email cell clears", values: with("email", " "), existing: &stored, want: student.Updated,
			check: func(t *testing.T, s student.Student) { assert.Nil(t, s.Email) }},
		{name: "empty section cell clears", values: with("section", ""), existing: &stored, want: student.Updated,
			check: func(t *testing.T, s student.Student) { assert.Equal(t, "", s.Section) }},
		{name: "email case is normalised before comparing", values: with("email", "ADA@X.ORG", "section", "A"), existing: &stored, want: student.Unchanged},
		{name: "semester not a number", values: with("semester", "three"), want: student.Failed,
			wantErrs: []student.RowError{{Row: 4, Field: "semester", Message: "must be an integer between 1 and 12"}}},
		{name: "semester out of range", values: with("semester", "13"), want: student.Failed,
			wantErrs: []student.RowError{{Row: 4, Field: "semester", Message: "must be between 1 and 12"}}},
		{name: "every bad cell reported", values: with("name", "", "semester", "x", "email", "nope", "status", "expelled"), want: student.Failed,
			wantErrs: []student.RowError{{Row: 4, Field: "semester", Message: "must be an integer between 1 and 12"},
				{Row: 4, Field: "name", Message: "must be 1 to 200 characters"}, {Row: 4, Field: "email", Message: "must be a valid email address"},
				{Row: 4, Field: "status", Message: "must be one of active, inactive, graduated"}}},
		{name: "missing roll_no", values: with("roll_no", ""), want: student.Failed,
			wantErrs: []student.RowError{{Row: 4, Field: "roll_no", Message: "must be 1 to 50 characters"}}},
		{name: "invalid update leaves nothing", values: with("department", ""), existing: &stored, want: student.Failed,
			wantErrs: []student.RowError{{Row: 4, Field: "department", Message: "must be 1 to 100 characters"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before student.Student
			if tt.existing != nil {
				before = *tt.existing
			}
			st, out, errs := row(tt.values).Apply(tt.existing)
			assert.Equal(t, tt.want, out, out.String())
			assert.Equal(t, tt.wantErrs, errs)
			if tt.existing != nil {
				assert.Equal(t, before, *tt.existing, "the stored record is not modified")
			}
			if tt.check != nil {
				tt.check(t, st)
			}
		})
	}
	assert.Equal(t, "created", student.Created.String())
	assert.Equal(t, "updated", student.Updated.String())
	assert.Equal(t, "unchanged", student.Unchanged.String())
	assert.Equal(t, "failed", student.Failed.String())
}
