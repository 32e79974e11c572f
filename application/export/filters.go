package export

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

// Kinds of export: the resources whose records can be exported.
const (
	KindStudents   = "students"
	KindAttendance = "attendance"
	KindComplaints = "complaints"
	KindRisks      = "risks"
)

// Formats of export files.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// filterNames lists the filters each kind accepts.
var filterNames = map[string][]string{
	KindStudents:   {"department", "semester", "status"},
	KindAttendance: {"student_id", "from", "to", "status"},
	KindComplaints: {"status", "category", "priority", "from", "to"},
	KindRisks:      {"status", "severity", "risk_type"},
}

// Filters lists the filters an export of kind accepts (nil for an
// unknown kind).
func Filters(kind string) []string { return filterNames[kind] }

// parseFilters checks raw against kind's filters and returns them typed,
// with the canonical text to store. An unknown filter or a bad value is
// Invalid naming "filters.<name>". Complaint dates are calendar days in
// loc (from inclusive, to inclusive) or RFC 3339 instants.
func parseFilters(kind string, raw map[string]string, loc *time.Location) (ports.ExportFilter, map[string]string, error) {
	var f ports.ExportFilter
	var v fault.Validation
	allowed := map[string]bool{}
	for _, n := range filterNames[kind] {
		allowed[n] = true
	}
	canon := map[string]string{}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		val := raw[name]
		field := "filters." + name
		val = strings.TrimSpace(val)
		if !allowed[name] {
			v.Add(field, "is not a filter of a "+kind+" export (allowed: "+strings.Join(filterNames[kind], ", ")+")")
			continue
		}
		if val == "" {
			continue
		}
		canon[name] = val
		switch kind + "." + name {
		case "students.department":
			f.Department = val
		case "students.semester":
			n, err := strconv.Atoi(val)
			v.Check(err == nil && n >= 1 && n <= 12, field, "must be an integer from 1 to 12")
			f.Semester = n
		case "students.status":
			_, err := student.ParseStatus(val)
			v.Check(err == nil, field, "must be one of active, inactive, graduated")
			f.Status = val
		case "attendance.student_id":
			n, err := strconv.ParseInt(val, 10, 64)
			v.Check(err == nil && n > 0, field, "must be a positive integer")
			f.StudentID = &n
		case "attendance.from", "attendance.to":
			d, err := attendance.ParseDate(val)
			v.Check(err == nil, field, "must be a date YYYY-MM-DD")
			if name == "from" {
				f.DateFrom = &d
			} else {
				f.DateTo = &d
			}
		case "attendance.status":
			_, err := attendance.ParseStatus(val)
			v.Check(err == nil, field, "must be one of present, absent, late, excused")
			f.Status = val
		case "complaints.status":
			_, err := complaint.ParseStatus(val)
			v.Check(err == nil, field, "must be one of pending, in_progress, resolved, closed")
			f.Status = val
		case "complaints.category":
			_, err := complaint.ParseCategory(val)
			v.Check(err == nil, field, "must be one of academic, conduct, health, facilities, other")
			f.Category = val
		case "complaints.priority":
			_, err := complaint.ParsePriority(val)
			v.Check(err == nil, field, "must be one of low, normal, high, urgent")
			f.Priority = val
		case "complaints.from":
			t, _, ok := instant(val, loc)
			v.Check(ok, field, "must be a date YYYY-MM-DD or an RFC 3339 time")
			f.CreatedFrom = &t
		case "complaints.to":
			t, day, ok := instant(val, loc)
			v.Check(ok, field, "must be a date YYYY-MM-DD or an RFC 3339 time")
			// A day includes all of it; an instant includes itself.
			if day {
				t = t.AddDate(0, 0, 1)
			} else {
				t = t.Add(time.Microsecond)
			}
			f.CreatedBefore = &t
		case "risks.status":
			_, err := risk.ParseStatus(val)
			v.Check(err == nil, field, "must be open or resolved")
			f.Status = val
		case "risks.severity":
			_, err := risk.ParseSeverity(val)
			v.Check(err == nil, field, "must be one of low, medium, high, critical")
			f.Severity = val
		case "risks.risk_type":
			_, err := risk.ParseType(val)
			v.Check(err == nil, field, "must be one of attendance, academic, behavioral, health, schedule, other")
			f.RiskType = val
		}
	}
	if f.DateFrom != nil && f.DateTo != nil && f.DateTo.Before(*f.DateFrom) {
		v.Add("filters.to", "must not be before from")
	}
	if f.CreatedFrom != nil && f.CreatedBefore != nil && !f.CreatedFrom.Before(*f.CreatedBefore) {
		v.Add("filters.to", "must not be before from")
	}
	if err := v.Err(); err != nil {
		return ports.ExportFilter{}, nil, err
	}
	return f, canon, nil
}

// instant parses a calendar day (its start in loc, day true) or an RFC
// 3339 time.
func instant(s string, loc *time.Location) (t time.Time, day, ok bool) {
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return d.UTC(), true, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), false, true
	}
	return time.Time{}, false, false
}
