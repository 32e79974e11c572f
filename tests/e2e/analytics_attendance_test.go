package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/bootstrap"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/tests/testenv"
)

// The attendance analytics fixture. Days are written by their index k in
// a window of 10 days ending today (k = 9 is today, k = -3 is before the
// window, inside the moving average's look-back):
//
//	student        dept       k=-3  0  1  2  3  4  5  6  7  8  9
//	s1 Ana         Physics    P     A  P  .  E  L  .  .  .  .  P
//	s2 Ben         Physics          P  A  .  .  A  .  .  .  .  A
//	s3 Cy          Chemistry           .  P        A  A
//	s4 Dee (inactive) Chem                                  A
//	s5 Eli         Biology                      A     P  A  A
//	s6 Fay         Biology    (no records)
//
// Every expected figure below is worked out by hand from this table.

type trendDay struct {
	Date          string   `json:"date"`
	Present       int      `json:"present"`
	Late          int      `json:"late"`
	Absent        int      `json:"absent"`
	Excused       int      `json:"excused"`
	Counted       int      `json:"counted"`
	Rate          *float64 `json:"rate"`
	MovingAverage *float64 `json:"moving_average"`
}

type trendBody struct {
	Scope        string     `json:"scope"`
	StudentID    *int64     `json:"student_id"`
	Department   *string    `json:"department"`
	Days         int        `json:"days"`
	From         string     `json:"from"`
	To           string     `json:"to"`
	Timezone     string     `json:"timezone"`
	MovingWindow int        `json:"moving_average_days"`
	Slope        *float64   `json:"slope"`
	Direction    string     `json:"direction"`
	Series       []trendDay `json:"series"`
}

type lowItem struct {
	StudentID  int64   `json:"student_id"`
	Name       string  `json:"name"`
	RollNo     string  `json:"roll_no"`
	Department string  `json:"department"`
	Rate       float64 `json:"rate"`
	Attended   int     `json:"attended"`
	Counted    int     `json:"counted"`
	Excused    int     `json:"excused"`
}

type lowBody struct {
	Items  []lowItem `json:"items"`
	Total  int       `json:"total"`
	Limit  int       `json:"limit"`
	Offset int       `json:"offset"`
}

// nan marks an expected null.
var nan = math.NaN()

func sameFloat(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	switch {
	case math.IsNaN(want) && got != nil:
		t.Errorf("%s = %v, want null", what, *got)
	case !math.IsNaN(want) && got == nil:
		t.Errorf("%s = null, want %v", what, want)
	case got != nil && math.Abs(*got-want) > 1e-9:
		t.Errorf("%s = %v, want %v", what, *got, want)
	}
}

func getTrend(t *testing.T, h *harness, tok, q string) trendBody {
	t.Helper()
	r := h.do("GET", "/api/v1/analytics/attendance/trends?"+q, tok, nil)
	expectStatus(t, r, http.StatusOK)
	var b trendBody
	mustJSON(t, r.Body, &b)
	return b
}

func getLow(t *testing.T, h *harness, tok, q string) (lowBody, response) {
	t.Helper()
	r := h.do("GET", "/api/v1/analytics/attendance/low?"+q, tok, nil)
	expectStatus(t, r, http.StatusOK)
	var b lowBody
	mustJSON(t, r.Body, &b)
	return b, r
}

// dayCheck is one expected day: counts P, L, A, E, the rate and the
// moving average (nan for null).
type dayCheck struct {
	k            int
	p, l, a, e   int
	rate, moving float64
}

func checkSeries(t *testing.T, b trendBody, today attendance.Date, days int, want []dayCheck) {
	t.Helper()
	if len(b.Series) != days {
		t.Fatalf("series has %d days, want %d", len(b.Series), days)
	}
	if b.To != today.String() || b.From != addDays(today, -(days-1)).String() {
		t.Fatalf("window %s..%s, want %s..%s", b.From, b.To, addDays(today, -(days-1)), today)
	}
	for i, d := range b.Series {
		if d.Date != addDays(today, i-(days-1)).String() {
			t.Fatalf("series[%d].date = %s, want %s", i, d.Date, addDays(today, i-(days-1)))
		}
	}
	for _, w := range want {
		i := w.k - (10 - days) // fixture indexes count in a 10-day window
		d := b.Series[i]
		if d.Present != w.p || d.Late != w.l || d.Absent != w.a || d.Excused != w.e || d.Counted != w.p+w.l+w.a {
			t.Errorf("day k=%d (%s): P%d L%d A%d E%d counted %d, want P%d L%d A%d E%d counted %d", w.k, d.Date,
				d.Present, d.Late, d.Absent, d.Excused, d.Counted, w.p, w.l, w.a, w.e, w.p+w.l+w.a)
		}
		sameFloat(t, fmt.Sprintf("rate k=%d", w.k), d.Rate, w.rate)
		sameFloat(t, fmt.Sprintf("moving average k=%d", w.k), d.MovingAverage, w.moving)
	}
}

func addDays(d attendance.Date, n int) attendance.Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC)
	return attendance.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

func mkStudent(t *testing.T, h *harness, tok, name, dept string) int64 {
	t.Helper()
	r := h.do("POST", "/api/v1/students", tok, map[string]any{"name": name, "roll_no": "AA-" + name, "department": dept,
		"semester": 3, "section": "A"})
	expectStatus(t, r, http.StatusCreated)
	return int64(r.json(t)["id"].(float64))
}

func TestAttendanceAnalytics(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		admin, staff := h.token("admin", "admin123"), h.token("staff1", "staff123")
		today := attendance.DateOf(time.Now(), time.UTC) // TIMEZONE is UTC here
		s1 := mkStudent(t, h, admin, "Ana", "Physics")
		s2 := mkStudent(t, h, admin, "Ben", "Physics")
		s3 := mkStudent(t, h, admin, "Cy", "Chemistry")
		s4 := mkStudent(t, h, admin, "Dee", "Chemistry")
		s5 := mkStudent(t, h, admin, "Eli", "Biology")
		s6 := mkStudent(t, h, admin, "Fay", "Biology")

		t.Run("empty data", func(t *testing.T) {
			b := getTrend(t, h, staff, "days=10")
			if b.Scope != "campus" || b.Slope != nil || b.Direction != "stable" || b.Timezone != "UTC" || b.MovingWindow != 7 || b.Days != 10 {
				t.Fatalf("empty campus trend: %+v", b)
			}
			var want []dayCheck
			for k := range 10 {
				want = append(want, dayCheck{k: k, rate: nan, moving: nan})
			}
			checkSeries(t, b, today, 10, want)
			if d := getTrend(t, h, staff, ""); len(d.Series) != 30 || d.Days != 30 {
				t.Fatalf("default window: %d days", len(d.Series))
			}
			l, r := getLow(t, h, staff, "")
			if l.Total != 0 || len(l.Items) != 0 || l.Limit != 50 || r.Header.Get("X-Total-Count") != "0" {
				t.Fatalf("empty low: %+v", l)
			}
		})

		// Mark the table through the bulk API, one call per day and status mix.
		marks := map[int][]map[string]any{}
		mark := func(k int, id int64, st string) {
			marks[k] = append(marks[k], map[string]any{"student_id": id, "status": st})
		}
		mark(-3, s1, "present")
		mark(0, s1, "absent")
		mark(1, s1, "present")
		mark(3, s1, "excused")
		mark(4, s1, "late")
		mark(9, s1, "present")
		mark(0, s2, "present")
		mark(1, s2, "absent")
		mark(4, s2, "absent")
		mark(9, s2, "absent")
		mark(2, s3, "present")
		mark(5, s3, "absent")
		mark(6, s3, "absent")
		mark(8, s4, "absent")
		mark(5, s5, "absent")
		mark(7, s5, "present")
		mark(8, s5, "absent")
		mark(9, s5, "absent")
		for k, recs := range marks {
			r := h.do("POST", "/api/v1/attendance/bulk", staff, map[string]any{"date": addDays(today, k-9).String(), "records": recs})
			expectStatus(t, r, http.StatusOK)
		}
		r := h.do("PATCH", "/api/v1/students/"+strconv.FormatInt(s4, 10), admin, map[string]any{"status": "inactive"})
		expectStatus(t, r, http.StatusOK)
		if attendance.DateOf(time.Now(), time.UTC) != today {
			t.Skip("midnight passed while the fixture was written")
		}

		t.Run("student", func(t *testing.T) {
			b := getTrend(t, h, staff, "days=10&student_id="+strconv.FormatInt(s1, 10))
			if b.Scope != "student" || b.StudentID == nil || *b.StudentID != s1 || b.Department != nil {
				t.Fatalf("scope: %+v", b)
			}
			// Rates: k=-3 1; 0 0; 1 1; 2 gap; 3 excused only (null); 4 1; 9 1.
			checkSeries(t, b, today, 10, []dayCheck{
				{k: 0, a: 1, rate: 0, moving: 0.5},       // {1 (k=-3), 0}
				{k: 1, p: 1, rate: 1, moving: 2.0 / 3},   // {1, 0, 1}
				{k: 2, rate: nan, moving: 2.0 / 3},       // gap: same three
				{k: 3, e: 1, rate: nan, moving: 2.0 / 3}, // excused only: rate null
				{k: 4, l: 1, rate: 1, moving: 2.0 / 3},   // {0, 1, 1} (k=-3 has left)
				{k: 6, rate: nan, moving: 2.0 / 3},       // k=0..6
				{k: 7, rate: nan, moving: 1},             // k=1..7: {1, 1}
				{k: 8, rate: nan, moving: 1},             // {1}
				{k: 9, p: 1, rate: 1, moving: 1},         // {1, 1}
			})
			// Points (0,0) (1,1) (4,1) (9,1): n 4, Σx 14, Σy 3, Σxy 14,
			// Σx² 98: (4·14 − 14·3) / (4·98 − 14²) = 14/196.
			sameFloat(t, "slope", b.Slope, 14.0/196)
			if b.Direction != "improving" {
				t.Errorf("direction %s, want improving", b.Direction)
			}
			// s3: (2,1) (5,0) (6,0): (3·2 − 13·1) / (3·65 − 13²) = −7/26.
			b = getTrend(t, h, staff, "days=10&student_id="+strconv.FormatInt(s3, 10))
			sameFloat(t, "slope s3", b.Slope, -7.0/26)
			if b.Direction != "declining" {
				t.Errorf("direction %s, want declining", b.Direction)
			}
			// A student without records: all gaps.
			b = getTrend(t, h, staff, "days=10&student_id="+strconv.FormatInt(s6, 10))
			if b.Slope != nil || b.Direction != "stable" {
				t.Errorf("no records: slope %v direction %s", b.Slope, b.Direction)
			}
			checkSeries(t, b, today, 10, []dayCheck{{k: 0, rate: nan, moving: nan}, {k: 9, rate: nan, moving: nan}})
		})

		t.Run("single day", func(t *testing.T) {
			// Today only; the moving average still looks back 6 days:
			// k=3 (excused, null) .. k=9 → {1 (k=4), 1 (k=9)}.
			b := getTrend(t, h, staff, "days=1&student_id="+strconv.FormatInt(s1, 10))
			checkSeries(t, b, today, 1, []dayCheck{{k: 9, p: 1, rate: 1, moving: 1}})
			if b.Slope != nil || b.Direction != "stable" {
				t.Errorf("one point: slope %v direction %s", b.Slope, b.Direction)
			}
			// Campus today: P1 A2; look-back k=3..9 rates {.5, 0, 0, 1, 0, 1/3}.
			b = getTrend(t, h, staff, "days=1")
			checkSeries(t, b, today, 1, []dayCheck{{k: 9, p: 1, a: 2, rate: 1.0 / 3, moving: 11.0 / 36}})
		})

		t.Run("department", func(t *testing.T) {
			b := getTrend(t, h, staff, "days=10&department=Physics")
			if b.Scope != "department" || b.Department == nil || *b.Department != "Physics" || b.StudentID != nil {
				t.Fatalf("scope: %+v", b)
			}
			checkSeries(t, b, today, 10, []dayCheck{
				{k: 0, p: 1, a: 1, rate: 0.5, moving: 0.75}, // {1 (k=-3), .5}
				{k: 1, p: 1, a: 1, rate: 0.5, moving: 2.0 / 3},
				{k: 3, e: 1, rate: nan, moving: 2.0 / 3},
				{k: 4, l: 1, a: 1, rate: 0.5, moving: 0.5},
				{k: 8, rate: nan, moving: 0.5},
				{k: 9, p: 1, a: 1, rate: 0.5, moving: 0.5},
			})
			sameFloat(t, "slope", b.Slope, 0)
			if b.Direction != "stable" {
				t.Errorf("direction %s, want stable", b.Direction)
			}
			b = getTrend(t, h, staff, "days=10&department=Nowhere")
			if b.Slope != nil || len(b.Series) != 10 || b.Series[9].Rate != nil {
				t.Errorf("unknown department: %+v", b)
			}
		})

		t.Run("campus", func(t *testing.T) {
			b := getTrend(t, h, staff, "days=10")
			checkSeries(t, b, today, 10, []dayCheck{
				{k: 0, p: 1, a: 1, rate: 0.5, moving: 0.75},
				{k: 2, p: 1, rate: 1, moving: 0.75},     // {1, .5, .5, 1}
				{k: 3, e: 1, rate: nan, moving: 0.75},   // same four
				{k: 5, a: 2, rate: 0, moving: 0.5},      // k=-1..5: {.5, .5, 1, .5, 0}
				{k: 7, p: 1, rate: 1, moving: 0.5},      // k=1..7: {.5, 1, .5, 0, 0, 1}
				{k: 8, a: 2, rate: 0, moving: 5.0 / 12}, // k=2..8: {1, .5, 0, 0, 1, 0}
				{k: 9, p: 1, a: 2, rate: 1.0 / 3, moving: 11.0 / 36},
			})
			// Points (0,.5) (1,.5) (2,1) (4,.5) (5,0) (6,0) (7,1) (8,0) (9,1/3):
			// n 9, Σx 42, Σy 23/6, Σxy 14.5, Σx² 276:
			// (9·14.5 − 42·23/6) / (9·276 − 42²) = −30.5/720.
			sameFloat(t, "slope", b.Slope, -30.5/720)
			if b.Direction != "declining" {
				t.Errorf("direction %s, want declining", b.Direction)
			}
		})

		t.Run("low", func(t *testing.T) {
			// Window k=0..9 (k=-3 left out). s1 3/4 = .75 is not under .75;
			// s2 1/4, s5 1/4 (tie: by id), s3 1/3; s4 is inactive; s6 has
			// nothing counted.
			l, r := getLow(t, h, staff, "days=10")
			want := []lowItem{
				{StudentID: s2, Name: "Ben", RollNo: "AA-Ben", Department: "Physics", Rate: 0.25, Attended: 1, Counted: 4},
				{StudentID: s5, Name: "Eli", RollNo: "AA-Eli", Department: "Biology", Rate: 0.25, Attended: 1, Counted: 4},
				{StudentID: s3, Name: "Cy", RollNo: "AA-Cy", Department: "Chemistry", Rate: 1.0 / 3, Attended: 1, Counted: 3},
			}
			checkLow(t, l, want, 3)
			if r.Header.Get("X-Total-Count") != "3" {
				t.Errorf("X-Total-Count %q", r.Header.Get("X-Total-Count"))
			}
			s1Row := lowItem{StudentID: s1, Name: "Ana", RollNo: "AA-Ana", Department: "Physics", Rate: 0.75, Attended: 3, Counted: 4, Excused: 1}
			l, _ = getLow(t, h, staff, "days=10&threshold=0.8")
			checkLow(t, l, append(append([]lowItem(nil), want...), s1Row), 4)
			l, r = getLow(t, h, staff, "days=10&threshold=0.8&limit=2&offset=1")
			checkLow(t, l, []lowItem{want[1], want[2]}, 4)
			if link := r.Header.Get("Link"); link == "" {
				t.Errorf("no Link header")
			}
			l, _ = getLow(t, h, staff, "days=10&threshold=0.8&offset=10")
			checkLow(t, l, nil, 4)
			l, _ = getLow(t, h, staff, "days=10&department=Physics")
			checkLow(t, l, want[:1], 1)
			// Over one day (today): s2 and s5 absent (0), s1 present.
			l, _ = getLow(t, h, staff, "days=1")
			checkLow(t, l, []lowItem{
				{StudentID: s2, Name: "Ben", RollNo: "AA-Ben", Department: "Physics", Rate: 0, Attended: 0, Counted: 1},
				{StudentID: s5, Name: "Eli", RollNo: "AA-Eli", Department: "Biology", Rate: 0, Attended: 0, Counted: 1},
			}, 2)
		})

		t.Run("validation and roles", func(t *testing.T) {
			for _, c := range []struct{ path, field string }{
				{"/trends?student_id=" + strconv.FormatInt(s1, 10) + "&department=Physics", "department"},
				{"/trends?days=0", "days"},
				{"/trends?days=367", "days"},
				{"/trends?days=x", "days"},
				{"/trends?student_id=abc", "student_id"},
				{"/low?threshold=0", "threshold"},
				{"/low?threshold=1.5", "threshold"},
				{"/low?threshold=abc", "threshold"},
				{"/low?days=-1", "days"},
				{"/low?limit=500", "limit"},
			} {
				r := h.do("GET", "/api/v1/analytics/attendance"+c.path, staff, nil)
				m := expectProblem(t, r, http.StatusUnprocessableEntity, "")
				errs, _ := m["errors"].([]any)
				if len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
					t.Errorf("%s: errors %v, want field %s", c.path, m["errors"], c.field)
				}
			}
			expectProblem(t, h.do("GET", "/api/v1/analytics/attendance/trends?student_id=999999", staff, nil), http.StatusNotFound, "")
			if b := getTrend(t, h, staff, "days=366"); len(b.Series) != 366 {
				t.Errorf("366 days: %d", len(b.Series))
			}
			student := h.token("student1", "student123")
			guest := h.guestToken()
			for _, p := range []string{"/trends", "/low"} {
				expectStatus(t, h.do("GET", "/api/v1/analytics/attendance"+p, student, nil), http.StatusForbidden)
				expectStatus(t, h.do("GET", "/api/v1/analytics/attendance"+p, guest, nil), http.StatusForbidden)
				expectStatus(t, h.do("GET", "/api/v1/analytics/attendance"+p, "", nil), http.StatusUnauthorized)
				expectStatus(t, h.do("GET", "/api/v1/analytics/attendance"+p, admin, nil), http.StatusOK)
			}
		})
	})
}

func checkLow(t *testing.T, got lowBody, want []lowItem, total int) {
	t.Helper()
	if got.Total != total || len(got.Items) != len(want) {
		t.Fatalf("low: total %d, %d items %+v; want total %d, %d items", got.Total, len(got.Items), got.Items, total, len(want))
	}
	for i, w := range want {
		g := got.Items[i]
		if math.Abs(g.Rate-w.Rate) > 1e-9 {
			t.Errorf("item %d rate %v, want %v", i, g.Rate, w.Rate)
		}
		g.Rate = w.Rate
		if g != w {
			t.Errorf("item %d = %+v, want %+v", i, g, w)
		}
	}
}

// TestAttendanceAnalyticsTimeZone: the window ends on today in TIMEZONE.
// The zone is chosen so that its date differs from UTC's now: ahead
// (UTC+14) from 10:00 UTC, behind (UTC−11) before. A record dated the
// zone's today is the single day's; one dated UTC's today is not.
func TestAttendanceAnalyticsTimeZone(t *testing.T) {
	now := time.Now().UTC()
	zone := "Pacific/Pago_Pago"
	if now.Hour() >= 10 {
		zone = "Pacific/Kiritimati"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	eachStore(t, map[string]string{"TIMEZONE": zone}, func(t *testing.T, h *harness) {
		admin, staff := h.token("admin", "admin123"), h.token("staff1", "staff123")
		local, utcDay := attendance.DateOf(time.Now(), loc), attendance.DateOf(time.Now(), time.UTC)
		if local == utcDay {
			t.Skip("the zone's date equals UTC's right now")
		}
		id := mkStudent(t, h, admin, "Zed", "Geography")
		repo := store.NewAttendanceRepository(h.app.DB)
		for _, rec := range []attendance.Record{
			{StudentID: id, Date: local, Session: "daily", Status: attendance.Absent},
			{StudentID: id, Date: utcDay, Session: "daily", Status: attendance.Present},
		} {
			if err := repo.Create(context.Background(), &rec); err != nil {
				t.Fatal(err)
			}
		}
		b := getTrend(t, h, staff, "days=1&student_id="+strconv.FormatInt(id, 10))
		if attendance.DateOf(time.Now(), loc) != local {
			t.Skip("midnight passed in the zone")
		}
		if b.Timezone != zone || b.To != local.String() || len(b.Series) != 1 || b.Series[0].Date != local.String() {
			t.Fatalf("window: %+v", b)
		}
		d := b.Series[0]
		if d.Absent != 1 || d.Present != 0 {
			t.Errorf("zone's today: %+v", d)
		}
		sameFloat(t, "rate", d.Rate, 0)
		// Two days: both records, whichever order the zone puts them in.
		b = getTrend(t, h, staff, "days=2&student_id="+strconv.FormatInt(id, 10))
		if utcDay.Before(local) {
			if b.Series[0].Present != 1 || b.Series[1].Absent != 1 {
				t.Errorf("two days (ahead of UTC): %+v", b.Series)
			}
			sameFloat(t, "slope", b.Slope, -1)
			if b.Direction != "declining" {
				t.Errorf("direction %s", b.Direction)
			}
		} else if b.Series[0].Counted != 0 || b.Series[1].Absent != 1 || b.Series[1].Present != 0 {
			// Behind UTC: UTC's today is the zone's tomorrow, outside.
			t.Errorf("two days (behind UTC): %+v", b.Series)
		}
		l, _ := getLow(t, h, staff, "days=1")
		checkLow(t, l, []lowItem{{StudentID: id, Name: "Zed", RollNo: "AA-Zed", Department: "Geography", Rate: 0, Counted: 1}}, 1)
	})
}

// runCLI runs the campus command line in-process with vars as its
// environment.
func runCLI(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	for k, v := range vars {
		t.Setenv(k, v)
	}
	cmd := bootstrap.NewCLI("e2e")
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestSeedDemo runs `campus seed demo` with a small N on each store: it
// writes N students × D school days ending yesterday, refuses a second
// run, and the same seed gives the same figures on both stores.
func TestSeedDemo(t *testing.T) {
	var series [][]trendDay
	for _, st := range testenv.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": st.URL(t), "LOG_FILE": "", "LOG_LEVEL": "ERROR", "TIMEZONE": "UTC"}
			for k, v := range base {
				if _, ok := vars[k]; !ok {
					vars[k] = v
				}
			}
			if out, err := runCLI(t, vars, "migrate", "up"); err != nil {
				t.Fatalf("migrate: %v\n%s", err, out)
			}
			if out, err := runCLI(t, vars, "seed", "demo", "--students", "30", "--days", "7"); err == nil ||
				!strings.Contains(err.Error(), "run `campus seed` first") {
				t.Fatalf("demo without an admin: %v\n%s", err, out)
			}
			if out, err := runCLI(t, vars, "seed"); err != nil {
				t.Fatalf("seed: %v\n%s", err, out)
			}
			out, err := runCLI(t, vars, "seed", "demo", "--students", "30", "--days", "7", "--seed", "3")
			if err != nil || !strings.Contains(out, "30 students, 210 attendance records") || !strings.Contains(out, "3 complaints") {
				t.Fatalf("seed demo: %v\n%s", err, out)
			}
			if out, err := runCLI(t, vars, "seed", "demo", "--students", "30", "--days", "7", "--seed", "3"); err == nil ||
				!strings.Contains(err.Error(), "already exists") {
				t.Fatalf("second seed demo should refuse: %v\n%s", err, out)
			}
			h := newHarness(t, vars["DATABASE_URL"], nil)
			b := getTrend(t, h, h.token("admin", "admin123"), "days=14")
			total := 0
			for _, d := range b.Series {
				total += d.Counted + d.Excused
			}
			if total != 210 || b.Series[13].Counted+b.Series[13].Excused != 0 {
				t.Fatalf("demo attendance: %d records in the last 14 days (want 210, none today): %+v", total, b.Series)
			}
			series = append(series, b.Series)
		})
	}
	if len(series) != 2 {
		return
	}
	// The same seed, the same rows: equal counts, and rates equal up to the
	// stores' floating-point summation.
	for i, a := range series[0] {
		b := series[1][i]
		if a.Date != b.Date || a.Present != b.Present || a.Late != b.Late || a.Absent != b.Absent || a.Excused != b.Excused {
			t.Errorf("day %s differs between stores: %+v vs %+v", a.Date, a, b)
		}
		for _, p := range [][2]*float64{{a.Rate, b.Rate}, {a.MovingAverage, b.MovingAverage}} {
			if (p[0] == nil) != (p[1] == nil) || (p[0] != nil && math.Abs(*p[0]-*p[1]) > 1e-9) {
				t.Errorf("day %s: rates differ between stores", a.Date)
			}
		}
	}
}
