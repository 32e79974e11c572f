package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

// DemoPrefix starts every demo student's roll number; its presence is how
// a second run knows demo data exists.
const DemoPrefix = "DEMO-"

// DemoSpec sizes a demo data set. The same spec, seed and last day give the
// same rows.
type DemoSpec struct {
	Students int
	Days     int // school days (Monday to Friday)
	Seed     uint64
	// Last is the last school day's upper bound: the demo ends on the last
	// weekday on or before it (the CLI passes yesterday in TIMEZONE).
	Last attendance.Date
	// FiledBy is the account recorded as filing the demo complaints.
	FiledBy int64
}

// DemoReport counts what was written.
type DemoReport struct {
	Students, Attendance, Complaints, Risks int
	From, To                                attendance.Date
}

// Demo writes a generated campus through the bulk path.
type Demo struct {
	store ports.DemoStore
}

// NewDemo builds the demo seeder.
func NewDemo(store ports.DemoStore) *Demo { return &Demo{store: store} }

// demoDepartments are the ~8 departments the students spread over.
var demoDepartments = []string{"Computer Science", "Mathematics", "Physics", "Chemistry", "Biology", "Economics", "History", "Mechanical Engineering"}

var (
	demoFirst = []string{"Asha", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jaya", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya"}
	demoLast  = []string{"Adeyemi", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Khan", "Lopez", "Müller", "Novak", "Okafor", "Patel"}
)

// demoStudent is a generated student and their habits.
type demoStudent struct {
	student.Student
	base float64 // probability of attending a day
}

// Plan is the deterministic part of a demo: the students (with their base
// rates) and the school days, oldest first.
type Plan struct {
	students []demoStudent
	Days     []attendance.Date
	seed     uint64
}

// NewPlan checks spec and derives the students and days from it.
func NewPlan(spec DemoSpec) (Plan, error) {
	var v fault.Validation
	v.Check(spec.Students >= 1 && spec.Students <= 1_000_000, "students", "must be between 1 and 1000000")
	v.Check(spec.Days >= 1 && spec.Days <= 2000, "days", "must be between 1 and 2000")
	if err := v.Err(); err != nil {
		return Plan{}, err
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x5eed)) //nolint:gosec // reproducible demo data, not a secret
	p := Plan{seed: spec.Seed, students: make([]demoStudent, spec.Students)}
	day := time.Date(spec.Last.Year, spec.Last.Month, spec.Last.Day, 0, 0, 0, 0, time.UTC)
	for len(p.Days) < spec.Days {
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			p.Days = append(p.Days, attendance.Date{Year: day.Year(), Month: day.Month(), Day: day.Day()})
		}
		day = day.AddDate(0, 0, -1)
	}
	for i, j := 0, len(p.Days)-1; i < j; i, j = i+1, j-1 {
		p.Days[i], p.Days[j] = p.Days[j], p.Days[i]
	}
	created := dayTime(p.Days[0]).Add(-30 * 24 * time.Hour)
	for i := range p.students {
		base := 0.80 + 0.18*rng.Float64() // most attend 80-98 %
		if rng.Float64() < 0.12 {
			base = 0.40 + 0.35*rng.Float64() // some are low: 40-75 %
		}
		status := student.Active
		if rng.Float64() < 0.02 {
			status = student.Inactive
		}
		p.students[i] = demoStudent{base: base, Student: student.Student{
			Name:       demoFirst[rng.IntN(len(demoFirst))] + " " + demoLast[rng.IntN(len(demoLast))],
			RollNo:     fmt.Sprintf("%s%06d", DemoPrefix, i+1),
			Department: demoDepartments[rng.IntN(len(demoDepartments))],
			Semester:   1 + rng.IntN(8),
			Section:    string(rune('A' + rng.IntN(3))),
			Status:     status,
			CreatedAt:  created, UpdatedAt: created,
		}}
	}
	return p, nil
}

func dayTime(d attendance.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// Students are the plan's students, without ids.
func (p Plan) Students() []student.Student {
	out := make([]student.Student, len(p.students))
	for i, s := range p.students {
		out[i] = s.Student
	}
	return out
}

// Attendance is day k's records of the students ids (in plan order):
// present with the student's base rate (one in ten of them late), else
// excused one time in five and absent otherwise. Each day draws from its
// own stream, so any day is the same whatever was generated before.
func (p Plan) Attendance(k int, ids []int64) []attendance.Record {
	rng := rand.New(rand.NewPCG(p.seed, uint64(k)+1)) //nolint:gosec // reproducible demo data, not a secret
	d := p.Days[k]
	at := dayTime(d).Add(9 * time.Hour)
	out := make([]attendance.Record, len(p.students))
	for i, s := range p.students {
		st := attendance.Absent
		switch r := rng.Float64(); {
		case r < s.base*0.9:
			st = attendance.Present
		case r < s.base:
			st = attendance.Late
		case rng.Float64() < 0.2:
			st = attendance.Excused
		}
		out[i] = attendance.Record{StudentID: ids[i], Date: d, Session: "daily", Status: st, CreatedAt: at, UpdatedAt: at}
	}
	return out
}

var demoComplaintTopics = []struct{ title, category string }{
	{"Projector not working", "facilities"}, {"Exam schedule clash", "academic"}, {"Noise in the library", "conduct"},
	{"Cafeteria food poisoning", "health"}, {"Wi-Fi down in hostel", "facilities"}, {"Grade not published", "academic"},
	{"Lost ID card", "other"}, {"Broken lab equipment", "facilities"},
}

// Complaints are one complaint per ten students (at least one), filed on
// the plan's days, mostly in office hours with a peak late morning.
func (p Plan) Complaints(ids []int64, filedBy int64) ([]complaint.Complaint, error) {
	rng := rand.New(rand.NewPCG(p.seed, 0xc0)) //nolint:gosec // reproducible demo data, not a secret
	priorities := []string{"low", "normal", "normal", "normal", "high", "urgent"}
	n := max(len(ids)/10, 1)
	out := make([]complaint.Complaint, 0, n)
	for range n {
		topic := demoComplaintTopics[rng.IntN(len(demoComplaintTopics))]
		hour := 8 + rng.IntN(10)
		if rng.Float64() < 0.3 {
			hour = 10 + rng.IntN(3)
		}
		at := dayTime(p.Days[rng.IntN(len(p.Days))]).Add(time.Duration(hour)*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
		c, err := complaint.New(complaint.Fields{StudentID: ids[rng.IntN(len(ids))], Title: topic.title,
			Description: topic.title + " (demo data generated by campus seed demo).", Category: topic.category,
			Priority: priorities[rng.IntN(len(priorities))]}, filedBy, at)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Risks are one open attendance risk per 50 students, on the students
// with the lowest base rates' side: any student under 60 %.
func (p Plan) Risks(ids []int64) ([]risk.Risk, error) {
	var out []risk.Risk
	at := dayTime(p.Days[len(p.Days)-1]).Add(20 * time.Hour)
	limit := max(len(ids)/50, 1)
	for i, s := range p.students {
		if s.base >= 0.60 || len(out) == limit {
			continue
		}
		id := ids[i]
		sev := "medium"
		if s.base < 0.5 {
			sev = "high"
		}
		r, err := risk.New(risk.Fields{StudentID: &id, Type: "attendance", Severity: sev,
			Description: fmt.Sprintf("Attendance around %.0f%% (demo data)", s.base*100)}, "demo", at)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Run refuses when demo students exist, then writes the plan: students,
// attendance ten days per batch, complaints and risks.
func (d *Demo) Run(ctx context.Context, spec DemoSpec) (DemoReport, error) {
	p, err := NewPlan(spec)
	if err != nil {
		return DemoReport{}, err
	}
	exists, err := d.store.HasDemo(ctx, DemoPrefix)
	if err != nil {
		return DemoReport{}, err
	}
	if exists {
		return DemoReport{}, fault.New(fault.Conflict, "Demo data already exists (students with roll numbers "+DemoPrefix+"…); use a fresh database")
	}
	rep := DemoReport{From: p.Days[0], To: p.Days[len(p.Days)-1]}
	ids, err := d.store.InsertStudents(ctx, p.Students())
	if err != nil {
		return rep, err
	}
	rep.Students = len(ids)
	const perBatch = 10
	for k := 0; k < len(p.Days); k += perBatch {
		var batch []attendance.Record
		for j := k; j < min(k+perBatch, len(p.Days)); j++ {
			batch = append(batch, p.Attendance(j, ids)...)
		}
		if err := d.store.InsertAttendance(ctx, batch); err != nil {
			return rep, err
		}
		rep.Attendance += len(batch)
	}
	cs, err := p.Complaints(ids, spec.FiledBy)
	if err != nil {
		return rep, err
	}
	if err := d.store.InsertComplaints(ctx, cs); err != nil {
		return rep, err
	}
	rep.Complaints = len(cs)
	rs, err := p.Risks(ids)
	if err != nil {
		return rep, err
	}
	if err := d.store.InsertRisks(ctx, rs); err != nil {
		return rep, err
	}
	rep.Risks = len(rs)
	// Plans chosen before the statistics know of a million new rows can
	// be a hundred times slower (an index led by date for one student).
	if err := d.store.Analyze(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}
