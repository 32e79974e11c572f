package student_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/student"
)

func ptr[T any](v T) *T { return &v }

func valid() student.Fields {
	return student.Fields{Name: "Ada Lovelace", RollNo: "CS-001", Department: "CS", Semester: 3, Section: "A"}
}

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, fault.Invalid, fe.Kind)
	var out []string
	for _, f := range fe.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestParseStatus(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want student.Status
	}{
		{"active", student.Active}, {"ACTIVE", student.Active}, {" Inactive ", student.Inactive}, {"GrAdUaTeD", student.Graduated},
	} {
		got, err := student.ParseStatus(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, in := range []string{"", "expelled", "activ"} {
		_, err := student.ParseStatus(in)
		assert.ErrorIs(t, err, fault.ErrInvalid, in)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(f *student.Fields)
		wantFields []string
		check      func(t *testing.T, s student.Student)
	}{
		{name: "valid defaults to active", check: func(t *testing.T, s student.Student) {
			assert.Equal(t, student.Active, s.Status)
			assert.Nil(t, s.Email)
		}},
		{name: "semester 0", mod: func(f *student.Fields) { f.Semester = 0 }, wantFields: []string{"semester"}},
		{name: "semester 1", mod: func(f *student.Fields) { f.Semester = 1 }},
		{name: "semester 12", mod: func(f *student.Fields) { f.Semester = 12 }},
		{name: "semester 13", mod: func(f *student.Fields) { f.Semester = 13 }, wantFields: []string{"semester"}},
		{name: "semester negative", mod: func(f *student.Fields) { f.Semester = -1 }, wantFields: []string{"semester"}},
		{name: "status any case", mod: func(f *student.Fields) { f.Status = "GRADUATED" },
			check: func(t *testing.T, s student.Student) { assert.Equal(t, student.Graduated, s.Status) }},
		{name: "unknown status", mod: func(f *student.Fields) { f.Status = "expelled" }, wantFields: []string{"status"}},
		{name: "blank name", mod: func(f *student.Fields) { f.Name = "   " }, wantFields: []string{"name"}},
		{name: "name 200", mod: func(f *student.Fields) { f.Name = strings.Repeat("n", 200) }},
		{name: "name 201", mod: func(f *student.Fields) { f.Name = strings.Repeat("n", 201) }, wantFields: []string{"name"}},
		{name: "blank roll", mod: func(f *student.Fields) { f.RollNo = "" }, wantFields: []string{"roll_no"}},
		{name: "roll 51", mod: func(f *student.Fields) { f.RollNo = strings.Repeat("r", 51) }, wantFields: []string{"roll_no"}},
		{name: "blank department", mod: func(f *student.Fields) { f.Department = "" }, wantFields: []string{"department"}},
		{name: "department 101", mod: func(f *student.Fields) { f.Department = strings.Repeat("d", 101) }, wantFields: []string{"department"}},
		{name: "section optional", mod: func(f *student.Fields) { f.Section = "" }},
		{name: "section 21", mod: func(f *student.Fields) { f.Section = strings.Repeat("s", 21) }, wantFields: []string{"section"}},
		{name: "email optional when blank", mod: func(f *student.Fields) { f.Email = ptr("   ") },
			check: func(t *testing.T, s student.Student) { assert.Nil(t, s.Email) }},
		{name: "email normalised", mod: func(f *student.Fields) { f.Email = ptr(" Ada@Campus.EDU ") },
			check: func(t *testing.T, s student.Student) {
				require.NotNil(t, s.Email)
				assert.Equal(t, "ada@campus.edu", *s.Email)
			}},
		{name: "bad email", mod: func(f *student.Fields) { f.Email = ptr("ada") }, wantFields: []string{"email"}},
		{name: "trims", mod: func(f *student.Fields) {
			f.Name, f.RollNo, f.Department, f.Section = "  Ada ", " CS-1 ", " CS ", " B "
		}, check: func(t *testing.T, s student.Student) {
			assert.Equal(t, "Ada", s.Name)
			assert.Equal(t, "CS-1", s.RollNo)
			assert.Equal(t, "CS", s.Department)
			assert.Equal(t, "B", s.Section)
		}},
		{name: "all errors at once", mod: func(f *student.Fields) { *f = student.Fields{Status: "x", Email: ptr("bad")} },
			wantFields: []string{"name", "roll_no", "department", "semester", "email", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := valid()
			if tt.mod != nil {
				tt.mod(&f)
			}
			s, err := student.New(f)
			if tt.wantFields != nil {
				assert.Equal(t, tt.wantFields, fieldsOf(t, err))
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestReplaceLeavesStudentUntouchedOnError(t *testing.T) {
	s, err := student.New(valid())
	require.NoError(t, err)
	s.ID = 7
	before := s
	f := valid()
	f.Name = "Changed"
	f.Semester = 13
	require.Error(t, s.Replace(f))
	assert.Equal(t, before, s)

	f.Semester = 4
	f.Status = "inactive"
	require.NoError(t, s.Replace(f))
	assert.Equal(t, "Changed", s.Name)
	assert.Equal(t, 4, s.Semester)
	assert.Equal(t, student.Inactive, s.Status)
	assert.Equal(t, int64(7), s.ID, "Replace keeps the identity")
}

func TestReplaceWithoutStatusResetsToActive(t *testing.T) {
	f := valid()
	f.Status = "graduated"
	s, err := student.New(f)
	require.NoError(t, err)
	require.NoError(t, s.Replace(valid()))
	assert.Equal(t, student.Active, s.Status, "PUT is a full replace: an omitted status is the default")
}

func TestApply(t *testing.T) {
	email := "ada@campus.edu"
	start := func() student.Student {
		f := valid()
		f.Email = &email
		f.Status = "inactive"
		s, err := student.New(f)
		require.NoError(t, err)
		return s
	}
	tests := []struct {
		name       string
		patch      student.Patch
		wantFields []string
		check      func(t *testing.T, s student.Student)
	}{
		{name: "empty patch keeps everything", check: func(t *testing.T, s student.Student) {
			assert.Equal(t, start(), s)
		}},
		{name: "semester", patch: student.Patch{Semester: ptr(12)},
			check: func(t *testing.T, s student.Student) {
				assert.Equal(t, 12, s.Semester)
				assert.Equal(t, student.Inactive, s.Status, "status kept")
				require.NotNil(t, s.Email)
			}},
		{name: "semester out of range", patch: student.Patch{Semester: ptr(13)}, wantFields: []string{"semester"}},
		{name: "semester zero", patch: student.Patch{Semester: ptr(0)}, wantFields: []string{"semester"}},
		{name: "status any case", patch: student.Patch{Status: ptr("Active")},
			check: func(t *testing.T, s student.Student) { assert.Equal(t, student.Active, s.Status) }},
		{name: "bad status", patch: student.Patch{Status: ptr("gone")}, wantFields: []string{"status"}},
		{name: "unlink email", patch: student.Patch{Email: ptr[*string](nil)},
			check: func(t *testing.T, s student.Student) { assert.Nil(t, s.Email) }},
		{name: "change email", patch: student.Patch{Email: ptr(ptr("NEW@b.io"))},
			check: func(t *testing.T, s student.Student) { assert.Equal(t, "new@b.io", *s.Email) }},
		{name: "blank name", patch: student.Patch{Name: ptr(" ")}, wantFields: []string{"name"}},
		{name: "trims", patch: student.Patch{Name: ptr(" Grace "), RollNo: ptr(" X1 "), Department: ptr(" EE "), Section: ptr(" C ")},
			check: func(t *testing.T, s student.Student) {
				assert.Equal(t, []string{"Grace", "X1", "EE", "C"}, []string{s.Name, s.RollNo, s.Department, s.Section})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start()
			err := s.Apply(tt.patch)
			if tt.wantFields != nil {
				assert.Equal(t, tt.wantFields, fieldsOf(t, err))
				assert.Equal(t, start(), s, "a failed patch changes nothing")
				return
			}
			require.NoError(t, err)
			tt.check(t, s)
		})
	}
}

func TestFieldsRoundTrip(t *testing.T) {
	f := valid()
	f.Email = ptr("ada@campus.edu")
	f.Status = "graduated"
	s, err := student.New(f)
	require.NoError(t, err)
	assert.Equal(t, f, s.Fields())
}

func TestVersionFollowsUpdatedAt(t *testing.T) {
	a := student.Student{UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 1000, time.UTC)}
	b := a
	b.UpdatedAt = b.UpdatedAt.Add(time.Microsecond)
	if a.Version() == "" || a.Version() == b.Version() {
		t.Fatalf("versions %q and %q", a.Version(), b.Version())
	}
	if c := a; c.Version() != a.Version() {
		t.Fatal("same state, different version")
	}
}
