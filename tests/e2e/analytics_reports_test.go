package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
)

// The analytics and report routes of complaints, risks, anomalies and the
// summaries, checked against hand-computed fixtures on both stores.

type rpHeatCell struct {
	Weekday   int     `json:"weekday"`
	Hour      int     `json:"hour"`
	Count     int     `json:"count"`
	Intensity float64 `json:"intensity"`
}

type rpHeatmap struct {
	From, To, Timezone string
	Days, Total, Max   int
	Cells              []rpHeatCell `json:"cells"`
	TopTimes           []rpHeatCell `json:"top_times"`
	TopCategories      []struct {
		Category string `json:"category"`
		Count    int    `json:"count"`
	} `json:"top_categories"`
}

type rpWeek struct {
	Week          string  `json:"week"`
	Start         string  `json:"start"`
	End           string  `json:"end"`
	Low           int     `json:"low"`
	Normal        int     `json:"normal"`
	High          int     `json:"high"`
	Urgent        int     `json:"urgent"`
	Total         int     `json:"total"`
	MovingAverage float64 `json:"moving_average"`
}

type rpTrends struct {
	From, To, Timezone string
	Weeks              []rpWeek `json:"weeks"`
	Slope              *float64 `json:"slope"`
	Direction          string   `json:"direction"`
}

func rpGet[T any](t *testing.T, h *harness, tok, path string) T {
	t.Helper()
	r := h.do("GET", path, tok, nil)
	expectStatus(t, r, http.StatusOK)
	var v T
	mustJSON(t, r.Body, &v)
	return v
}

// rpFileComplaintAt puts a complaint created at the instant at in through the
// store port, as the fixtures need complaints in the past.
func rpFileComplaintAt(t *testing.T, h *harness, studentID int64, at time.Time, category, priority string) int64 {
	t.Helper()
	c, err := complaint.New(complaint.Fields{StudentID: studentID, Title: "Broken heater", Description: "Room 12 is freezing cold.",
		Category: category, Priority: priority}, 1, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.NewComplaintRepository(h.app.DB).Create(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	if !c.CreatedAt.Equal(at) {
		t.Fatalf("the store changed created_at %v to %v", at, c.CreatedAt)
	}
	return c.ID
}

// rpNonEmpty lists the cells with complaints, in grid order.
func rpNonEmpty(cells []rpHeatCell) []rpHeatCell {
	var out []rpHeatCell
	for _, c := range cells {
		if c.Count > 0 {
			out = append(out, c)
		}
	}
	return out
}

func rpCheckGrid(t *testing.T, b rpHeatmap) {
	t.Helper()
	if len(b.Cells) != 168 {
		t.Fatalf("%d cells, want 7×24", len(b.Cells))
	}
	for i, c := range b.Cells {
		if c.Weekday != i/24+1 || c.Hour != i%24 {
			t.Fatalf("cell %d is (%d, %d): want Monday 0h first", i, c.Weekday, c.Hour)
		}
	}
}

func rpSame(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("%s:\n got  %s\n want %s", what, gj, wj)
	}
}

// TestReportsComplaintAnalytics: TIMEZONE America/New_York, whose clocks go back
// on 2026-11-01 at 06:00 UTC (01:30 local happens twice), and the ISO week
// 2026-W53 (2026-12-28..2027-01-03) across the new year.
func TestReportsComplaintAnalytics(t *testing.T) {
	// The fixtures are written behind the API's back (complaints dated in
	// the past), so no event tells the figures' cache: it is off here
	// (TestReplicasServeFreshFigures covers it).
	eachStore(t, map[string]string{"TIMEZONE": "America/New_York", "ENABLE_CACHING": "false"}, func(t *testing.T, h *harness) {
		staff := h.token("staff1", "staff123")
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		utc := func(s string) time.Time {
			x, err := time.Parse(time.RFC3339, s)
			if err != nil {
				t.Fatal(err)
			}
			return x
		}
		local := func(y int, m time.Month, d, hh, mm, ss int) time.Time {
			return time.Date(y, m, d, hh, mm, ss, 0, ny).UTC()
		}

		// Empty: every cell zero, no top times or categories.
		empty := rpGet[rpHeatmap](t, h, staff, "/api/v1/analytics/complaints/heatmap?days=3&to=2026-11-02")
		rpCheckGrid(t, empty)
		if empty.Total != 0 || empty.Max != 0 || len(rpNonEmpty(empty.Cells)) != 0 || len(empty.TopTimes) != 0 || len(empty.TopCategories) != 0 ||
			empty.From != "2026-10-31" || empty.To != "2026-11-02" || empty.Timezone != "America/New_York" || empty.Days != 3 {
			t.Fatalf("empty heatmap: %+v", empty)
		}

		for _, c := range []struct{ at, category string }{
			{"2026-10-31T03:59:59Z", "conduct"},    // Fri 23:59:59 EDT: before the window
			{"2026-10-31T13:30:00Z", "health"},     // Sat 09:30 EDT: (6, 9)
			{"2026-11-01T05:30:00Z", "facilities"}, // Sun 01:30 EDT: (7, 1)
			{"2026-11-01T06:30:00Z", "facilities"}, // Sun 01:30 EST: (7, 1)
			{"2026-11-01T07:00:00Z", "academic"},   // Sun 02:00 EST: (7, 2)
			{"2026-11-02T14:00:00Z", "academic"},   // Mon 09:00 EST: (1, 9)
			{"2026-11-02T14:59:59Z", "facilities"}, // Mon 09:59:59 EST: (1, 9)
			{"2026-11-03T05:00:00Z", "conduct"},    // Tue 00:00 EST: after the window
		} {
			rpFileComplaintAt(t, h, 1, utc(c.at), c.category, "")
		}
		hm := rpGet[rpHeatmap](t, h, staff, "/api/v1/analytics/complaints/heatmap?days=3&to=2026-11-02")
		rpCheckGrid(t, hm)
		rpSame(t, "cells", rpNonEmpty(hm.Cells), []rpHeatCell{{1, 9, 2, 1}, {6, 9, 1, 0.5}, {7, 1, 2, 1}, {7, 2, 1, 0.5}})
		rpSame(t, "top times", hm.TopTimes, []rpHeatCell{{1, 9, 2, 1}, {7, 1, 2, 1}, {6, 9, 1, 0.5}, {7, 2, 1, 0.5}})
		if hm.Total != 6 || hm.Max != 2 || fmt.Sprint(hm.TopCategories) != "[{facilities 3} {academic 2} {health 1}]" {
			t.Fatalf("heatmap totals: %d %d %v", hm.Total, hm.Max, hm.TopCategories)
		}
		// One day: the Sunday of the change, 25 hours long.
		one := rpGet[rpHeatmap](t, h, staff, "/api/v1/analytics/complaints/heatmap?days=1&to=2026-11-01")
		rpSame(t, "one day", rpNonEmpty(one.Cells), []rpHeatCell{{7, 1, 2, 1}, {7, 2, 1, 0.5}})
		if one.From != "2026-11-01" || one.To != "2026-11-01" || one.Total != 3 {
			t.Fatalf("one day: %+v", one)
		}

		// Weeks: the three lead weeks from 2026-11-30 feed the moving average.
		for _, c := range []struct {
			at       time.Time
			priority string
		}{
			{local(2026, 12, 1, 10, 0, 0), "normal"},  // lead week 2026-11-30
			{local(2026, 12, 15, 10, 0, 0), "low"},    // 2026-W51
			{local(2026, 12, 20, 23, 59, 59), "high"}, // 2026-W51 (Sunday night)
			{local(2026, 12, 28, 9, 0, 0), "urgent"},  // 2026-W53
			{local(2027, 1, 3, 23, 59, 0), "normal"},  // 2026-W53 (already 2027-01-04 in UTC)
			{local(2027, 1, 4, 0, 0, 0), "low"},       // 2027-W01
			{local(2027, 1, 5, 12, 0, 0), "low"},      // 2027-W01
			{local(2027, 1, 11, 0, 0, 0), "high"},     // 2027-W02: after
		} {
			rpFileComplaintAt(t, h, 1, c.at, "", c.priority)
		}
		tr := rpGet[rpTrends](t, h, staff, "/api/v1/analytics/complaints/trends?weeks=3&to=2027-01-06")
		// Weekly totals from 2026-11-30: 1, 0, 2 (lead), then 0, 2, 2.
		rpSame(t, "weeks", tr.Weeks, []rpWeek{
			{Week: "2026-W52", Start: "2026-12-21", End: "2026-12-27", MovingAverage: 0.75},
			{Week: "2026-W53", Start: "2026-12-28", End: "2027-01-03", Normal: 1, Urgent: 1, Total: 2, MovingAverage: 1},
			{Week: "2027-W01", Start: "2027-01-04", End: "2027-01-10", Low: 2, Total: 2, MovingAverage: 1.5},
		})
		// x 0,1,2; y 0,2,2: slope (3·6 − 3·4)/(3·5 − 9) = 1 > 0.5: more complaints.
		if tr.Slope == nil || *tr.Slope != 1 || tr.Direction != "declining" || tr.From != "2026-12-21" || tr.To != "2027-01-10" {
			t.Fatalf("trend: %+v", tr)
		}
		// 2026-W51 (2) then W52 (0): slope −2, improving. Weekly totals from
		// 2026-11-23: 0, 1, 0 (lead), 2, 0: averages (0+1+0+2)/4 and (1+0+2+0)/4.
		tr = rpGet[rpTrends](t, h, staff, "/api/v1/analytics/complaints/trends?weeks=2&to=2026-12-21")
		if len(tr.Weeks) != 2 || tr.Weeks[0].Week != "2026-W51" || tr.Weeks[0].Total != 2 || tr.Weeks[0].Low != 1 || tr.Weeks[0].High != 1 ||
			tr.Weeks[0].MovingAverage != 0.75 || tr.Weeks[1].Total != 0 || tr.Weeks[1].MovingAverage != 0.75 ||
			tr.Slope == nil || *tr.Slope != -2 || tr.Direction != "improving" {
			t.Fatalf("improving trend: %+v", tr)
		}
		// One week: no slope, stable.
		tr = rpGet[rpTrends](t, h, staff, "/api/v1/analytics/complaints/trends?weeks=1&to=2027-01-03")
		if len(tr.Weeks) != 1 || tr.Weeks[0].Week != "2026-W53" || tr.Weeks[0].Total != 2 || tr.Slope != nil || tr.Direction != "stable" {
			t.Fatalf("one week: %+v", tr)
		}
		// Default: 12 weeks ending with the current one, zeros included.
		tr = rpGet[rpTrends](t, h, staff, "/api/v1/analytics/complaints/trends")
		if len(tr.Weeks) != 12 {
			t.Fatalf("default weeks: %d", len(tr.Weeks))
		}

		// Bad parameters name the field.
		for path, field := range map[string]string{
			"/api/v1/analytics/complaints/heatmap?days=0":      "days",
			"/api/v1/analytics/complaints/heatmap?days=367":    "days",
			"/api/v1/analytics/complaints/heatmap?days=x":      "days",
			"/api/v1/analytics/complaints/heatmap?to=20261102": "to",
			"/api/v1/analytics/complaints/trends?weeks=0":      "weeks",
			"/api/v1/analytics/complaints/trends?weeks=105":    "weeks",
			"/api/v1/analytics/anomalies?days=-1":              "days",
			"/api/v1/analytics/anomalies?type=outage":          "type",
		} {
			p := expectProblem(t, h.do("GET", path, staff, nil), http.StatusUnprocessableEntity, "")
			if got := fmt.Sprint(errorFields(t, p)); got != "["+field+"]" {
				t.Fatalf("%s: fields %s", path, got)
			}
		}
	})
}

type rpRiskCell struct {
	RiskType string `json:"risk_type"`
	Severity string `json:"severity"`
	Open     int    `json:"open"`
	Resolved int    `json:"resolved"`
}

type rpDistribution struct {
	Open        int          `json:"open"`
	Resolved    int          `json:"resolved"`
	Cells       []rpRiskCell `json:"cells"`
	TopStudents []struct {
		StudentID  int64          `json:"student_id"`
		RollNo     string         `json:"roll_no"`
		Score      float64        `json:"score"`
		Level      string         `json:"level"`
		OpenRisks  int            `json:"open_risks"`
		BySeverity map[string]int `json:"by_severity"`
	} `json:"top_students"`
}

// TestReportsRiskDistribution: counts per type × severity and the ranking, with
// a tie broken by student id, against GET /students/{id}/risk.
func TestReportsRiskDistribution(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff := h.token("staff1", "staff123")
		empty := rpGet[rpDistribution](t, h, staff, "/api/v1/analytics/risks/distribution")
		if len(empty.Cells) != 24 || empty.Open != 0 || empty.Resolved != 0 || len(empty.TopStudents) != 0 {
			t.Fatalf("empty: %+v", empty)
		}
		if c := empty.Cells[0]; c != (rpRiskCell{RiskType: "attendance", Severity: "low"}) {
			t.Fatalf("first cell %+v: want types and severities in the domain's order", c)
		}
		ids := map[string]int64{"seed": 1}
		for _, roll := range []string{"RD-A", "RD-B", "RD-C", "RD-D"} {
			r := h.do("POST", "/api/v1/students", staff, map[string]any{"name": "Pupil " + roll, "roll_no": roll, "department": "Physics", "semester": 2})
			ids[roll] = createdID(t, r)
		}
		mk := func(student, typ, sev string, resolve bool) {
			body := map[string]any{"risk_type": typ, "severity": sev, "description": "Concern noted"}
			if student != "" {
				body["student_id"] = ids[student]
			}
			id := createdID(t, h.do("POST", "/api/v1/risks", staff, body))
			if resolve {
				expectStatus(t, h.do("PATCH", fmt.Sprintf("/api/v1/risks/%d", id), staff, map[string]any{"resolve": true}), http.StatusOK)
			}
		}
		mk("RD-B", "academic", "high", false) // B then A: the rpSame records, A has the lower id
		mk("RD-B", "attendance", "low", false)
		mk("RD-A", "attendance", "low", false)
		mk("RD-A", "academic", "high", false)
		mk("RD-A", "health", "critical", true)
		mk("RD-C", "behavioral", "critical", false)
		mk("RD-D", "attendance", "medium", false)
		mk("RD-D", "attendance", "medium", false)
		mk("", "other", "low", false)
		mk("seed", "attendance", "low", true)

		d := rpGet[rpDistribution](t, h, staff, "/api/v1/analytics/risks/distribution")
		var got []rpRiskCell
		for _, c := range d.Cells {
			if c.Open+c.Resolved > 0 {
				got = append(got, c)
			}
		}
		rpSame(t, "cells", got, []rpRiskCell{
			{"attendance", "low", 2, 1}, {"attendance", "medium", 2, 0}, {"academic", "high", 2, 0},
			{"behavioral", "critical", 1, 0}, {"health", "critical", 0, 1}, {"other", "low", 1, 0},
		})
		if d.Open != 8 || d.Resolved != 2 {
			t.Fatalf("totals %d open, %d resolved", d.Open, d.Resolved)
		}
		// C 80; A and B 100·(1 − 0.5·0.9) = 55 (tie: A's id is lower); D 100·(1 − 0.75²) = 43.75.
		var order []string
		for _, s := range d.TopStudents {
			order = append(order, fmt.Sprintf("%s %.2f %s %d", s.RollNo, s.Score, s.Level, s.OpenRisks))
			view := rpGet[map[string]any](t, h, staff, fmt.Sprintf("/api/v1/students/%d/risk", s.StudentID))
			if view["score"].(float64) != s.Score || view["level"] != s.Level {
				t.Fatalf("%s: ranking says %v %s, the student's risk %v %v", s.RollNo, s.Score, s.Level, view["score"], view["level"])
			}
		}
		rpSame(t, "ranking", order, []string{"RD-C 80.00 critical 1", "RD-A 55.00 high 2", "RD-B 55.00 high 2", "RD-D 43.75 medium 2"})
		if ids["RD-A"] > ids["RD-B"] {
			t.Fatal("fixture: A must have the lower id")
		}
		if d.TopStudents[1].BySeverity["high"] != 1 || d.TopStudents[1].BySeverity["low"] != 1 {
			t.Fatalf("by severity: %v", d.TopStudents[1].BySeverity)
		}
	})
}

type rpAnomalies struct {
	Total int `json:"total"`
	Items []struct {
		Type        string             `json:"type"`
		SubjectKind string             `json:"subject_kind"`
		Subject     string             `json:"subject"`
		Day         string             `json:"day"`
		Figures     map[string]float64 `json:"figures"`
		Description string             `json:"description"`
	} `json:"items"`
}

// TestReportsAnomaliesWindow: what the agent recorded for the days asked, newest
// first, optionally of one type.
func TestReportsAnomaliesWindow(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff := h.token("staff1", "staff123")
		repo := store.NewAnomalyRepository(h.app.DB)
		rec := func(typ anomaly.Type, kind anomaly.SubjectKind, subject, day string) {
			d, err := attendance.ParseDate(day)
			if err != nil {
				t.Fatal(err)
			}
			a := anomaly.Anomaly{Type: typ, SubjectKind: kind, Subject: subject, Day: d, Figures: map[string]float64{"rate": 0.5, "mean": 0.9},
				Description: "Found on " + day}
			if _, err := repo.Record(context.Background(), &a); err != nil {
				t.Fatal(err)
			}
		}
		rec(anomaly.AttendanceDrop, anomaly.Department, "CSE", "2026-11-25") // before the window
		rec(anomaly.AttendanceDrop, anomaly.Department, "CSE", "2026-11-26")
		rec(anomaly.ComplaintSpike, anomaly.Campus, "campus", "2026-11-26")
		rec(anomaly.AttendanceDrop, anomaly.Student, "1", "2026-11-27")
		rec(anomaly.AttendanceDrop, anomaly.Department, "EEE", "2026-11-28") // after

		list := func(q string) []string {
			b := rpGet[rpAnomalies](t, h, staff, "/api/v1/analytics/anomalies"+q)
			out := []string{}
			for _, it := range b.Items {
				if it.Figures["rate"] != 0.5 || it.Description != "Found on "+it.Day {
					t.Fatalf("item %+v", it)
				}
				out = append(out, it.Day+" "+it.Type+" "+it.SubjectKind+":"+it.Subject)
			}
			if b.Total != len(out) {
				t.Fatalf("total %d of %d items", b.Total, len(out))
			}
			return out
		}
		rpSame(t, "2 days", list("?days=2&to=2026-11-27"), []string{"2026-11-27 attendance_drop student:1",
			"2026-11-26 complaint_spike campus:campus", "2026-11-26 attendance_drop department:CSE"})
		rpSame(t, "spikes", list("?days=2&to=2026-11-27&type=COMPLAINT_SPIKE"), []string{"2026-11-26 complaint_spike campus:campus"})
		rpSame(t, "one day", list("?days=1&to=2026-11-25"), []string{"2026-11-25 attendance_drop department:CSE"})
		rpSame(t, "none", list("?days=7&to=2026-11-01"), []string{})
	})
}

// TestReportsSummaries: the campus summary's and the public report's figures over
// the last 7 and 30 calendar days ending today (TIMEZONE UTC here), and
// who may read them.
func TestReportsSummaries(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff := h.token("staff1", "staff123")
		admin := h.token("admin", "admin123")
		student := h.token("student1", "student123")
		guest := h.guestToken()

		// Roles: analytics for admin and staff only; the report for all.
		for _, path := range []string{"/api/v1/analytics/summary", "/api/v1/analytics/complaints/heatmap", "/api/v1/analytics/complaints/trends",
			"/api/v1/analytics/risks/distribution", "/api/v1/analytics/anomalies"} {
			for _, tok := range []string{student, guest} {
				expectProblem(t, h.do("GET", path, tok, nil), http.StatusForbidden, "")
			}
			expectStatus(t, h.do("GET", path, admin, nil), http.StatusOK)
			expectStatus(t, h.do("GET", path, "", nil), http.StatusUnauthorized)
		}
		expectStatus(t, h.do("GET", "/api/v1/reports/summary", "", nil), http.StatusUnauthorized)

		// Empty campus (the seeded student only).
		rep := rpGet[map[string]any](t, h, guest, "/api/v1/reports/summary")
		keys := make([]string, 0, len(rep))
		for k := range rep {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		rpSame(t, "report keys", keys, []string{"active_schedules", "attendance_rate_30d", "generated_at", "pending_complaints", "students_at_risk", "total_students"})
		if rep["total_students"] != 1.0 || rep["students_at_risk"] != 0.0 || rep["pending_complaints"] != 0.0 || rep["active_schedules"] != 0.0 ||
			rep["attendance_rate_30d"] != nil {
			t.Fatalf("empty report: %v", rep)
		}
		sum := rpGet[map[string]any](t, h, staff, "/api/v1/analytics/summary")
		if a := sum["attendance"].(map[string]any); a["rate_last_7_days"] != nil || a["records_last_7_days"] != 0.0 {
			t.Fatalf("empty summary attendance: %v", a)
		}

		today := attendance.DateOf(time.Now(), time.UTC)
		ago := func(n int) string {
			x := time.Date(today.Year, today.Month, today.Day-n, 12, 0, 0, 0, time.UTC)
			return x.Format(time.DateOnly)
		}
		s1 := int64(1)
		s2 := createdID(t, h.do("POST", "/api/v1/students", staff, map[string]any{"name": "Second Pupil", "roll_no": "SU-2", "department": "Physics", "semester": 2}))
		s3 := createdID(t, h.do("POST", "/api/v1/students", staff, map[string]any{"name": "Third Pupil", "roll_no": "SU-3", "department": "Physics", "semester": 2}))
		expectStatus(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", s3), staff, map[string]any{"status": "inactive"}), http.StatusOK)
		for _, m := range []struct {
			id     int64
			day    int
			status string
		}{
			{s1, 0, "present"}, {s2, 0, "absent"}, {s2, 6, "late"}, // the 7 days
			{s2, 7, "absent"}, {s1, 29, "excused"}, // the 30 days (excused left out)
			{s1, 30, "present"}, // before the 30 days
		} {
			expectStatus(t, h.do("POST", "/api/v1/attendance", staff, map[string]any{"student_id": m.id, "date": ago(m.day), "status": m.status}),
				http.StatusCreated)
		}
		c1 := createdID(t, h.do("POST", "/api/v1/complaints", staff, map[string]any{"student_id": s1, "title": "Noisy hall", "description": "The hall is too noisy at night."}))
		createdID(t, h.do("POST", "/api/v1/complaints", staff, map[string]any{"student_id": s2, "title": "Noisy hall", "description": "The hall is too noisy at night."}))
		expectStatus(t, h.do("PATCH", fmt.Sprintf("/api/v1/complaints/%d", c1), staff, map[string]any{"status": "in_progress"}), http.StatusOK)
		rpFileComplaintAt(t, h, s2, time.Now().UTC().Add(-10*24*time.Hour).Truncate(time.Microsecond), "", "") // pending, not new
		createdID(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"student_id": s1, "risk_type": "academic", "severity": "high", "description": "Failing"}))
		createdID(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"student_id": s3, "risk_type": "academic", "severity": "high", "description": "Failing"}))
		r := createdID(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"student_id": s2, "risk_type": "health", "severity": "low", "description": "Cold"}))
		expectStatus(t, h.do("PATCH", fmt.Sprintf("/api/v1/risks/%d", r), staff, map[string]any{"resolve": true}), http.StatusOK)
		createdID(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("Summary class", "09:00", "10:00", map[string]any{"location": "Hall S"})))
		createdID(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("Draft class", "11:00", "12:00", map[string]any{"is_active": false})))
		expectStatus(t, h.do("POST", "/api/v1/clubs", staff, map[string]any{"name": "Summary Club", "category": "Books"}), http.StatusCreated)

		sum = rpGet[map[string]any](t, h, staff, "/api/v1/analytics/summary")
		want := map[string]any{
			"students":   map[string]any{"total": 3.0, "active": 2.0, "new_last_7_days": 3.0},
			"attendance": map[string]any{"records_last_7_days": 3.0, "attended_last_7_days": 2.0, "counted_last_7_days": 3.0, "rate_last_7_days": 0.6667},
			"complaints": map[string]any{"total": 3.0, "pending": 2.0, "in_progress": 1.0, "new_last_7_days": 2.0},
			"risks":      map[string]any{"open": 2.0, "new_last_7_days": 3.0},
			"schedules":  map[string]any{"active": 1.0},
			"clubs":      map[string]any{"active": 1.0},
			"from":       ago(6), "to": ago(0), "timezone": "UTC",
		}
		for k, v := range want {
			rpSame(t, "summary "+k, sum[k], v)
		}
		for _, tok := range []string{guest, student, staff, admin} {
			rep = rpGet[map[string]any](t, h, tok, "/api/v1/reports/summary")
			// Active students 2 (s3 is inactive); at risk: s1 (s3's open
			// record is of an inactive student); 30 days: present, absent,
			// late, absent counted (2 of 4).
			if rep["total_students"] != 2.0 || rep["students_at_risk"] != 1.0 || rep["pending_complaints"] != 2.0 ||
				rep["active_schedules"] != 1.0 || rep["attendance_rate_30d"] != 0.5 {
				t.Fatalf("report: %v", rep)
			}
			if at, err := time.Parse(time.RFC3339, rep["generated_at"].(string)); err != nil || math.Abs(time.Since(at).Seconds()) > 60 {
				t.Fatalf("generated_at %v", rep["generated_at"])
			}
		}
	})
}
