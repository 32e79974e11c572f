package attendance_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
)

func ptr[T any](v T) *T { return &v }

var today = attendance.Date{Year: 2026, Month: time.November, Day: 27}

func fields(t *testing.T, err error) []string {
	t.Helper()
	var fe *fault.Error
	if !errors.As(err, &fe) {
		t.Fatalf("want a *fault.Error, got %T %v", err, err)
	}
	if fe.Kind != fault.Invalid {
		t.Fatalf("kind %v, want invalid", fe.Kind)
	}
	out := make([]string, len(fe.Fields))
	for i, f := range fe.Fields {
		out[i] = f.Field
	}
	return out
}

func TestParseStatus(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want attendance.Status
	}{{"present", attendance.Present}, {"LATE", attendance.Late}, {"\tExcused ", attendance.Excused}, {"absent", attendance.Absent}} {
		got, err := attendance.ParseStatus(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseStatus(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, in := range []string{"", "here", "presentt"} {
		if _, err := attendance.ParseStatus(in); fault.KindOf(err) != fault.Invalid {
			t.Errorf("ParseStatus(%q): %v, want invalid", in, err)
		}
	}
}

func TestDate(t *testing.T) {
	d, err := attendance.ParseDate("2026-02-28")
	if err != nil || d.String() != "2026-02-28" {
		t.Fatalf("ParseDate: %v %v", d, err)
	}
	for _, bad := range []string{"2026-02-30", "27/11/2026", "2026-1-1", ""} {
		if _, err := attendance.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	// 23:30 UTC on the 27th is already the 28th in Kolkata (+05:30).
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Skip("no zoneinfo")
	}
	at := time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC)
	if got := attendance.DateOf(at, kolkata).String(); got != "2026-11-28" {
		t.Errorf("DateOf in Kolkata = %s", got)
	}
	if got := attendance.DateOf(at, time.UTC).String(); got != "2026-11-27" {
		t.Errorf("DateOf in UTC = %s", got)
	}
	if !today.Before(attendance.Date{Year: 2026, Month: time.December, Day: 1}) || today.Before(today) {
		t.Error("Before")
	}
}

func TestNewRecord(t *testing.T) {
	tests := []struct {
		name       string
		f          attendance.Fields
		wantFields []string
		check      func(t *testing.T, r attendance.Record)
	}{
		{name: "defaults: today, daily", f: attendance.Fields{StudentID: 4, Status: "Present"},
			check: func(t *testing.T, r attendance.Record) {
				if r.Date != today || r.Session != attendance.DefaultSession || r.Status != attendance.Present {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "given date, session and remarks are trimmed", f: attendance.Fields{StudentID: 4, Date: "2026-11-02", Session: " CS101 ", Status: "late", Remarks: " bus "},
			check: func(t *testing.T, r attendance.Record) {
				if r.Date.String() != "2026-11-02" || r.Session != "CS101" || r.Remarks != "bus" {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "every field wrong", f: attendance.Fields{StudentID: 0, Date: "tomorrow", Session: strings.Repeat("s", 51), Status: "gone", Remarks: strings.Repeat("r", 501)},
			wantFields: []string{"student_id", "date", "session", "status", "remarks"}},
		{name: "status missing", f: attendance.Fields{StudentID: 1}, wantFields: []string{"status"}},
		{name: "longest session and remarks pass", f: attendance.Fields{StudentID: 1, Status: "absent", Session: strings.Repeat("é", 50), Remarks: strings.Repeat("é", 500)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := attendance.New(tt.f, today)
			if tt.wantFields != nil {
				if got := fields(t, err); fmt.Sprint(got) != fmt.Sprint(tt.wantFields) {
					t.Fatalf("fields %v, want %v", got, tt.wantFields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestReplaceNeedsDate(t *testing.T) {
	r, err := attendance.New(attendance.Fields{StudentID: 1, Status: "present"}, today)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Replace(attendance.Fields{StudentID: 1, Status: "absent"})
	if got := fields(t, err); fmt.Sprint(got) != "[date]" {
		t.Fatalf("fields %v", got)
	}
	if r.Status != attendance.Present {
		t.Fatal("a refused replace changed the record")
	}
}

func TestPatch(t *testing.T) {
	r, _ := attendance.New(attendance.Fields{StudentID: 1, Status: "present", Remarks: "ok"}, today)
	if err := r.Apply(attendance.Patch{Status: ptr("EXCUSED")}); err != nil {
		t.Fatal(err)
	}
	if r.Status != attendance.Excused || r.Remarks != "ok" || r.Date != today || r.StudentID != 1 {
		t.Fatalf("patched %+v", r)
	}
	if err := r.Apply(attendance.Patch{Session: ptr(""), Remarks: ptr("")}); err != nil || r.Session != "daily" || r.Remarks != "" {
		t.Fatalf("empty session falls back to daily: %+v %v", r, err)
	}
	if err := r.Apply(attendance.Patch{Date: ptr("nope")}); fault.KindOf(err) != fault.Invalid || r.Date != today {
		t.Fatalf("bad date: %v %+v", err, r)
	}
}

func TestSummarizeRate(t *testing.T) {
	tests := []struct {
		name     string
		c        attendance.Counts
		wantRate *float64
		total    int
	}{
		{name: "nothing recorded", c: nil, wantRate: nil},
		{name: "only excused: nothing due", c: attendance.Counts{attendance.Excused: 3}, wantRate: nil, total: 3},
		{name: "late counts as attended", c: attendance.Counts{attendance.Present: 2, attendance.Late: 1, attendance.Absent: 1}, wantRate: ptr(0.75), total: 4},
		{name: "excused is left out", c: attendance.Counts{attendance.Present: 1, attendance.Absent: 1, attendance.Excused: 8}, wantRate: ptr(0.5), total: 10},
		{name: "all absent", c: attendance.Counts{attendance.Absent: 5}, wantRate: ptr(0.0), total: 5},
		{name: "all present", c: attendance.Counts{attendance.Present: 5}, wantRate: ptr(1.0), total: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := attendance.Summarize(tt.c)
			if s.Total != tt.total {
				t.Errorf("total %d, want %d", s.Total, tt.total)
			}
			switch {
			case tt.wantRate == nil && s.Rate != nil:
				t.Errorf("rate %v, want null", *s.Rate)
			case tt.wantRate != nil && (s.Rate == nil || *s.Rate != *tt.wantRate):
				t.Errorf("rate %v, want %v", s.Rate, *tt.wantRate)
			}
		})
	}
}

func TestNewBatch(t *testing.T) {
	entry := func(id int64, st string) attendance.EntryFields {
		return attendance.EntryFields{StudentID: id, Status: st}
	}
	t.Run("valid with defaults", func(t *testing.T) {
		b, err := attendance.NewBatch(attendance.BatchFields{Records: []attendance.EntryFields{entry(1, "present"), entry(2, "ABSENT")}}, today)
		if err != nil || b.Date != today || b.Session != "daily" || len(b.Entries) != 2 || b.Entries[1].Status != attendance.Absent {
			t.Fatalf("%+v %v", b, err)
		}
	})
	tests := []struct {
		name   string
		f      attendance.BatchFields
		fields []string
	}{
		{name: "empty", f: attendance.BatchFields{}, fields: []string{"records"}},
		{name: "duplicate student", f: attendance.BatchFields{Records: []attendance.EntryFields{entry(1, "present"), entry(2, "present"), entry(1, "late")}},
			fields: []string{"records[2].student_id"}},
		{name: "bad entries and date", f: attendance.BatchFields{Date: "x", Records: []attendance.EntryFields{entry(0, "present"), entry(3, "")}},
			fields: []string{"date", "records[0].student_id", "records[1].status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := attendance.NewBatch(tt.f, today)
			if got := fields(t, err); fmt.Sprint(got) != fmt.Sprint(tt.fields) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
		})
	}
	t.Run("size limit edge", func(t *testing.T) {
		recs := make([]attendance.EntryFields, attendance.MaxBatch+1)
		for i := range recs {
			recs[i] = entry(int64(i+1), "present")
		}
		if _, err := attendance.NewBatch(attendance.BatchFields{Records: recs[:attendance.MaxBatch]}, today); err != nil {
			t.Fatalf("exactly %d refused: %v", attendance.MaxBatch, err)
		}
		_, err := attendance.NewBatch(attendance.BatchFields{Records: recs}, today)
		if got := fields(t, err); fmt.Sprint(got) != "[records]" {
			t.Fatalf("%d accepted or wrong fields: %v", attendance.MaxBatch+1, got)
		}
	})
	t.Run("errors are capped", func(t *testing.T) {
		recs := make([]attendance.EntryFields, 200)
		_, err := attendance.NewBatch(attendance.BatchFields{Records: recs}, today)
		got := fields(t, err)
		if len(got) != 51 || got[50] != "records" {
			t.Fatalf("%d field errors, last %q", len(got), got[len(got)-1])
		}
	})
}

func TestUnknownStudents(t *testing.T) {
	idx := map[int64]int{7: 0, 9: 3}
	err := attendance.UnknownStudents([]int64{7, 9}, func(id int64) (int, bool) { i, ok := idx[id]; return i, ok })
	if got := fields(t, err); fmt.Sprint(got) != "[records[0].student_id records[3].student_id]" {
		t.Fatalf("fields %v", got)
	}
	var fe *fault.Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Fields[1].Message, "9") {
		t.Fatalf("message does not name the student: %v", err)
	}
	if attendance.UnknownStudents(nil, nil) != nil {
		t.Fatal("no missing students is no error")
	}
}

func TestUpsertedChanged(t *testing.T) {
	rec := attendance.Record{Status: attendance.Present, Remarks: "a"}
	tests := []struct {
		name string
		u    attendance.Upserted
		want bool
	}{
		{"created", attendance.Upserted{Record: rec, Created: true}, true},
		{"same values", attendance.Upserted{Record: rec, Previous: &attendance.Record{Status: attendance.Present, Remarks: "a"}}, false},
		{"status changed", attendance.Upserted{Record: rec, Previous: &attendance.Record{Status: attendance.Absent, Remarks: "a"}}, true},
		{"remarks changed", attendance.Upserted{Record: rec, Previous: &attendance.Record{Status: attendance.Present}}, true},
	}
	for _, tt := range tests {
		if got := tt.u.Changed(); got != tt.want {
			t.Errorf("%s: Changed() = %v", tt.name, got)
		}
	}
}

// String renders every day, real or not, as fmt's "%04d-%02d-%02d" does.
func FuzzDateString(f *testing.F) {
	for _, seed := range [][3]int{{2026, 1, 5}, {999, 12, 31}, {0, 0, 0}, {-5, 3, 7}, {12345, 10, 100}, {-2147483648, -1, 0}} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, y, m, d int) {
		day := attendance.Date{Year: y, Month: time.Month(m), Day: d}
		if got, want := day.String(), fmt.Sprintf("%04d-%02d-%02d", y, m, d); got != want {
			t.Fatalf("Date{%d, %d, %d}.String() = %q, want %q", y, m, d, got, want)
		}
	})
}
