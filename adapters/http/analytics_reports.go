package httpapi

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/application/reports"
	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

// reportRoutes lists the complaint, risk and anomaly analytics, the campus
// summary and the public report summary.
func (s *Server) reportRoutes() []Route {
	view := RequirePermission(identity.ViewAnalytics)
	to := Param{"to", "string", "last calendar day of the window (YYYY-MM-DD, campus calendar); default today in TIMEZONE"}
	return []Route{
		{Method: "GET", Path: v1 + "/analytics/complaints/heatmap", Tag: "analytics",
			Summary: "Complaints created in the last `days` calendar days (TIMEZONE) counted per local weekday (ISO: 1 Monday … 7 Sunday) " +
				"and hour (0-23): all 168 cells, Monday 0h first, intensity = count / the largest cell's count (0 when there are no " +
				"complaints); top_times: the (at most) 5 busiest non-empty cells, by count descending then weekday and hour; " +
				"top_categories: categories with complaints, by count descending then name",
			Guard: view, Response: HeatmapDTO{}, handler: s.complaintHeatmap,
			Query: []Param{{"days", "integer", "1-366, default 30"}, to}},
		{Method: "GET", Path: v1 + "/analytics/complaints/trends", Tag: "analytics",
			Summary: "Complaints created per ISO week (Monday-Sunday in TIMEZONE, labelled like 2026-W03) over the last `weeks` weeks " +
				"ending with the current (or `to`'s) week, weeks without complaints as zeros: counts per priority and total, " +
				"moving_average = mean total of the week and the 3 weeks before it (those count even before the window); slope = " +
				"least-squares slope of the weekly totals in complaints per week (null with one week); direction improving when " +
				"slope < -0.5 (fewer complaints), declining when slope > 0.5, else stable",
			Guard: view, Response: ComplaintTrendsDTO{}, handler: s.complaintTrends,
			Query: []Param{{"weeks", "integer", "1-104, default 12"}, to}},
		{Method: "GET", Path: v1 + "/analytics/risks/distribution", Tag: "analytics",
			Summary: "Risk records counted per type × severity (every combination), open and resolved, and the 10 students with the " +
				"highest score derived from their open records (as GET /students/{id}/risk derives it), ties by student id",
			Guard: view, Response: RiskDistributionDTO{}, handler: s.riskDistribution},
		{Method: "GET", Path: v1 + "/analytics/anomalies", Tag: "analytics",
			Summary: "What the anomaly agent recorded for the last `days` calendar days (TIMEZONE), newest day first, then newest record",
			Guard:   view, Response: AnomaliesDTO{}, handler: s.listAnomalies,
			Query: []Param{{"days", "integer", "1-366, default 7"}, to, {"type", "string", "attendance_drop|complaint_spike"}}},
		{Method: "GET", Path: v1 + "/analytics/summary", Tag: "analytics",
			Summary: "Campus totals, and counts over the last 7 calendar days (today and the 6 before, TIMEZONE): students " +
				"(total, active, created), attendance records dated in the window (rate = present+late over non-excused, null when " +
				"none), complaints (total, pending, in progress, created), risks (open, created), active schedules and clubs",
			Guard: view, Response: CampusSummaryDTO{}, handler: s.analyticsSummary},
		{Method: "GET", Path: v1 + "/reports/summary", Tag: "reports",
			Summary: "Public aggregates: total_students = active students; students_at_risk = active students with an open risk " +
				"record; pending_complaints = complaints in status pending; active_schedules = schedule entries with is_active; " +
				"attendance_rate_30d = present+late over non-excused records dated in the last 30 calendar days (TIMEZONE), null " +
				"when none, rounded to 4 decimals",
			Guard: RequirePermission(identity.ViewReports), Response: ReportSummaryDTO{}, handler: s.reportSummary},
	}
}

// ReportWindowDTO is the calendar window a figure covers.
type ReportWindowDTO struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Timezone string `json:"timezone"`
}

func reportWindowDTO(w reports.Window) ReportWindowDTO {
	return ReportWindowDTO{From: w.From.String(), To: w.To.String(), Timezone: w.Timezone}
}

// HeatCellDTO is one weekday × hour cell.
type HeatCellDTO struct {
	Weekday   int     `json:"weekday"`
	Hour      int     `json:"hour"`
	Count     int     `json:"count"`
	Intensity float64 `json:"intensity"`
}

// CategoryCountDTO is one category's complaints.
type CategoryCountDTO struct {
	Category string `json:"category"`
	Count    int    `json:"count"`
}

// HeatmapDTO is GET /analytics/complaints/heatmap.
type HeatmapDTO struct {
	ReportWindowDTO
	Days          int                `json:"days"`
	Total         int                `json:"total"`
	Max           int                `json:"max"`
	Cells         []HeatCellDTO      `json:"cells"`
	TopTimes      []HeatCellDTO      `json:"top_times"`
	TopCategories []CategoryCountDTO `json:"top_categories"`
}

func heatCells(cs []ports.HeatCell) []HeatCellDTO {
	out := make([]HeatCellDTO, len(cs))
	for i, c := range cs {
		out[i] = HeatCellDTO{Weekday: c.Weekday, Hour: c.Hour, Count: c.Count, Intensity: reportRound4(c.Intensity)}
	}
	return out
}

// ComplaintWeekDTO is one ISO week.
type ComplaintWeekDTO struct {
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

// ComplaintTrendsDTO is GET /analytics/complaints/trends.
type ComplaintTrendsDTO struct {
	ReportWindowDTO
	Weeks     []ComplaintWeekDTO `json:"weeks"`
	Slope     *float64           `json:"slope"`
	Direction string             `json:"direction"`
}

// RiskCellDTO counts one type × severity.
type RiskCellDTO struct {
	RiskType string `json:"risk_type"`
	Severity string `json:"severity"`
	Open     int    `json:"open"`
	Resolved int    `json:"resolved"`
}

// RiskStudentDTO is one ranked student.
type RiskStudentDTO struct {
	StudentID  int64          `json:"student_id"`
	Name       string         `json:"name"`
	RollNo     string         `json:"roll_no"`
	Department string         `json:"department"`
	Score      float64        `json:"score"`
	Level      string         `json:"level"`
	OpenRisks  int            `json:"open_risks"`
	BySeverity map[string]int `json:"by_severity"`
}

// RiskDistributionDTO is GET /analytics/risks/distribution.
type RiskDistributionDTO struct {
	Open        int              `json:"open"`
	Resolved    int              `json:"resolved"`
	Cells       []RiskCellDTO    `json:"cells"`
	TopStudents []RiskStudentDTO `json:"top_students"`
}

// AnomalyItemDTO is one recorded anomaly.
type AnomalyItemDTO struct {
	ID          int64              `json:"id"`
	Type        string             `json:"type"`
	SubjectKind string             `json:"subject_kind"`
	Subject     string             `json:"subject"`
	Day         string             `json:"day"`
	Figures     map[string]float64 `json:"figures"`
	Description string             `json:"description"`
	CreatedAt   time.Time          `json:"created_at"`
}

// AnomaliesDTO is GET /analytics/anomalies.
type AnomaliesDTO struct {
	ReportWindowDTO
	Days  int              `json:"days"`
	Items []AnomalyItemDTO `json:"items"`
	Total int              `json:"total"`
}

// SummaryStudentsDTO are the student figures of the summary.
type SummaryStudentsDTO struct {
	Total    int `json:"total"`
	Active   int `json:"active"`
	NewLast7 int `json:"new_last_7_days"`
}

// SummaryAttendanceDTO are the attendance figures of the last 7 days.
type SummaryAttendanceDTO struct {
	RecordsLast7  int      `json:"records_last_7_days"`
	AttendedLast7 int      `json:"attended_last_7_days"`
	CountedLast7  int      `json:"counted_last_7_days"`
	RateLast7     *float64 `json:"rate_last_7_days"`
}

// SummaryComplaintsDTO are the complaint figures of the summary.
type SummaryComplaintsDTO struct {
	Total      int `json:"total"`
	Pending    int `json:"pending"`
	InProgress int `json:"in_progress"`
	NewLast7   int `json:"new_last_7_days"`
}

// SummaryRisksDTO are the risk figures of the summary.
type SummaryRisksDTO struct {
	Open     int `json:"open"`
	NewLast7 int `json:"new_last_7_days"`
}

// SummaryActiveDTO counts active entries.
type SummaryActiveDTO struct {
	Active int `json:"active"`
}

// CampusSummaryDTO is GET /analytics/summary.
type CampusSummaryDTO struct {
	ReportWindowDTO
	Students    SummaryStudentsDTO   `json:"students"`
	Attendance  SummaryAttendanceDTO `json:"attendance"`
	Complaints  SummaryComplaintsDTO `json:"complaints"`
	Risks       SummaryRisksDTO      `json:"risks"`
	Schedules   SummaryActiveDTO     `json:"schedules"`
	Clubs       SummaryActiveDTO     `json:"clubs"`
	GeneratedAt time.Time            `json:"generated_at"`
}

// ReportSummaryDTO is GET /reports/summary, exactly as the contract lists.
type ReportSummaryDTO struct {
	TotalStudents     int       `json:"total_students"`
	StudentsAtRisk    int       `json:"students_at_risk"`
	PendingComplaints int       `json:"pending_complaints"`
	ActiveSchedules   int       `json:"active_schedules"`
	AttendanceRate30d *float64  `json:"attendance_rate_30d"`
	GeneratedAt       time.Time `json:"generated_at"`
}

// reportDate reads an optional calendar date (zero when absent).
func reportDate(q *query, name string) attendance.Date {
	s := q.str(name)
	if s == "" {
		return attendance.Date{}
	}
	d, err := attendance.ParseDate(s)
	if err != nil {
		q.v.Add(name, "must be a date (YYYY-MM-DD)")
	}
	return d
}

// reportInt reads an optional integer, def when absent.
func reportInt(q *query, name string, def int) int {
	if p := q.intp(name); p != nil {
		return *p
	}
	return def
}

func (s *Server) complaintHeatmap(c *fiber.Ctx) error {
	q := newQuery(c)
	in := reports.HeatmapQuery{Days: reportInt(q, "days", reports.DefaultHeatmapDays), To: reportDate(q, "to")}
	if err := q.err(); err != nil {
		return err
	}
	h, err := s.d.Reports.ComplaintHeatmap(c.UserContext(), caller(c), in)
	if err != nil {
		return err
	}
	cats := make([]CategoryCountDTO, len(h.TopCategories))
	for i, x := range h.TopCategories {
		cats[i] = CategoryCountDTO{Category: x.Category, Count: x.Count}
	}
	return c.JSON(HeatmapDTO{ReportWindowDTO: reportWindowDTO(h.Window), Days: in.Days, Total: h.Total, Max: h.Max, Cells: heatCells(h.Cells),
		TopTimes: heatCells(h.TopTimes), TopCategories: cats})
}

func (s *Server) complaintTrends(c *fiber.Ctx) error {
	q := newQuery(c)
	in := reports.TrendsQuery{Weeks: reportInt(q, "weeks", reports.DefaultTrendWeeks), To: reportDate(q, "to")}
	if err := q.err(); err != nil {
		return err
	}
	t, err := s.d.Reports.ComplaintTrends(c.UserContext(), caller(c), in)
	if err != nil {
		return err
	}
	weeks := make([]ComplaintWeekDTO, len(t.Weeks))
	for i, w := range t.Weeks {
		weeks[i] = ComplaintWeekDTO{Week: w.ISOWeek, Start: w.Start.String(), End: w.End.String(), Low: w.Low, Normal: w.Normal,
			High: w.High, Urgent: w.Urgent, Total: w.Total, MovingAverage: w.MovingAverage}
	}
	return c.JSON(ComplaintTrendsDTO{ReportWindowDTO: reportWindowDTO(t.Window), Weeks: weeks, Slope: t.Slope, Direction: t.Direction})
}

func (s *Server) riskDistribution(c *fiber.Ctx) error {
	d, err := s.d.Reports.RiskDistribution(c.UserContext(), caller(c))
	if err != nil {
		return err
	}
	out := RiskDistributionDTO{Open: d.Open, Resolved: d.Resolved, Cells: make([]RiskCellDTO, len(d.Cells)),
		TopStudents: make([]RiskStudentDTO, len(d.TopStudents))}
	for i, x := range d.Cells {
		out.Cells[i] = RiskCellDTO{RiskType: x.Type, Severity: x.Severity, Open: x.Open, Resolved: x.Resolved}
	}
	for i, x := range d.TopStudents {
		out.TopStudents[i] = RiskStudentDTO{StudentID: x.StudentID, Name: x.Name, RollNo: x.RollNo, Department: x.Department,
			Score: x.Score, Level: string(x.Level), OpenRisks: x.OpenRisks,
			BySeverity: map[string]int{"low": x.Low, "medium": x.Medium, "high": x.High, "critical": x.Critical}}
	}
	return c.JSON(out)
}

func (s *Server) listAnomalies(c *fiber.Ctx) error {
	q := newQuery(c)
	in := reports.AnomaliesQuery{Days: reportInt(q, "days", reports.DefaultAnomalyDays), To: reportDate(q, "to"), Type: anomaly.Type(strings.ToLower(q.str("type")))}
	if err := q.err(); err != nil {
		return err
	}
	a, err := s.d.Reports.ListAnomalies(c.UserContext(), caller(c), in)
	if err != nil {
		return err
	}
	items := make([]AnomalyItemDTO, len(a.Items))
	for i, x := range a.Items {
		items[i] = AnomalyItemDTO{ID: x.ID, Type: string(x.Type), SubjectKind: string(x.SubjectKind), Subject: x.Subject,
			Day: x.Day.String(), Figures: x.Figures, Description: x.Description, CreatedAt: x.CreatedAt.UTC()}
	}
	return c.JSON(AnomaliesDTO{ReportWindowDTO: reportWindowDTO(a.Window), Days: in.Days, Items: items, Total: len(items)})
}

func (s *Server) analyticsSummary(c *fiber.Ctx) error {
	m, err := s.d.Reports.CampusSummary(c.UserContext(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(CampusSummaryDTO{ReportWindowDTO: reportWindowDTO(m.Window),
		Students: SummaryStudentsDTO{Total: m.StudentsTotal, Active: m.StudentsActive, NewLast7: m.StudentsNew},
		Attendance: SummaryAttendanceDTO{RecordsLast7: m.AttendanceRecords, AttendedLast7: m.AttendanceAttended,
			CountedLast7: m.AttendanceCounted, RateLast7: m.AttendanceRate},
		Complaints: SummaryComplaintsDTO{Total: m.ComplaintsTotal, Pending: m.ComplaintsPending, InProgress: m.ComplaintsInProgress,
			NewLast7: m.ComplaintsNew},
		Risks:     SummaryRisksDTO{Open: m.RisksOpen, NewLast7: m.RisksNew},
		Schedules: SummaryActiveDTO{Active: m.SchedulesActive}, Clubs: SummaryActiveDTO{Active: m.ClubsActive}, GeneratedAt: m.GeneratedAt})
}

func (s *Server) reportSummary(c *fiber.Ctx) error {
	r, err := s.d.Reports.ReportSummary(c.UserContext(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(ReportSummaryDTO{TotalStudents: r.TotalStudents, StudentsAtRisk: r.StudentsAtRisk,
		PendingComplaints: r.PendingComplaints, ActiveSchedules: r.ActiveSchedules, AttendanceRate30d: r.AttendanceRate,
		GeneratedAt: r.GeneratedAt})
}

func reportRound4(x float64) float64 { return float64(int64(x*10000+0.5)) / 10000 }
