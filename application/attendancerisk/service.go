// Package attendancerisk is the attendance-risk agent: it keeps one open
// attendance risk record per student whose attendance over the last 30
// days calls for one (the rule is domain/risk's AssessAttendance),
// updates it in place as marks come in, resolves it when attendance
// recovers, and tells the student and their department's staff once per
// record. It runs on every attendance.marked and attendance.changed event
// (for the student concerned) and nightly over everyone, set-based. A
// record a person resolved stands: within the window after it, a new one
// is raised only at a higher severity (risk.RaiseAgain).
//
// Every write for one student happens in one transaction, and an
// assessment that finds the record already saying what it would write
// writes nothing, so a job that runs twice has its effect once.
package attendancerisk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/campus/campus/application/jobs"
	appnotification "github.com/campus/campus/application/notification"
	apprisk "github.com/campus/campus/application/risk"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/ports"
)

// Name is the agent's name: the source of its records and its audit actor.
const Name = "attendance-risk"

// Notification kinds.
const (
	KindOpened   = "risk.opened"
	KindCritical = "risk.escalated"
)

// SystemRole is the audit trail's actor role for what the agent writes
// (no user acts; the entry's source field names the agent).
const SystemRole = "system"

const resource = "risk"

// Config holds the rule's settings.
type Config struct {
	// Location is the campus calendar's zone: the window ends today there.
	Location   *time.Location
	Thresholds risk.AttendanceThresholds
	// PageSize is how many students the nightly pass assesses per page.
	PageSize int
}

// Deps are the ports the agent uses.
type Deps struct {
	Stats  ports.AttendanceStats
	Risks  ports.RiskRepository
	Audit  ports.AuditLog
	Outbox ports.Outbox
	Tx     ports.TxRunner
	Clock  ports.Clock
	IDs    ports.IDGenerator
	Notify *appnotification.Service
}

// Service is the agent.
type Service struct {
	cfg Config
	d   Deps
}

// NewService builds the agent; thresholds that break 0 < high < warn <= 1
// are refused (bootstrap's config check refuses them first).
func NewService(cfg Config, d Deps) (*Service, error) {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
	}
	if err := cfg.Thresholds.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, d: d}, nil
}

// Action is what one assessment did to a student's record.
type Action string

// Actions.
const (
	// None: no record is open and none is called for (or too little data).
	None      Action = "none"
	Unchanged Action = "unchanged"
	// Held: the figures call for a record, but a person resolved the last
	// one recently at the same or a higher severity (risk.RaiseAgain).
	Held     Action = "held"
	Created  Action = "created"
	Updated  Action = "updated"
	Resolved Action = "resolved"
)

// Result is one student's assessment.
type Result struct {
	StudentID int64
	Action    Action
	// Notified is how many notifications were recorded.
	Notified int
}

// Report sums a run's results; Counts is what the run records.
type Report struct {
	Assessed, Created, Updated, Resolved, Unchanged, Held, Notified, Failed int
}

func (r *Report) add(res Result) {
	r.Assessed++
	r.Notified += res.Notified
	switch res.Action {
	case Created:
		r.Created++
	case Updated:
		r.Updated++
	case Resolved:
		r.Resolved++
	case Unchanged:
		r.Unchanged++
	case Held:
		r.Held++
	}
}

// Counts is the report as a run's counts.
func (r Report) Counts() map[string]int {
	return map[string]int{"assessed": r.Assessed, "created": r.Created, "updated": r.Updated, "resolved": r.Resolved,
		"unchanged": r.Unchanged, "held": r.Held, "notified": r.Notified, "failed": r.Failed}
}

// window is the 30 days ending today in the campus calendar.
func (s *Service) window() (risk.AttendanceWindow, time.Time) {
	now := s.d.Clock.Now()
	return risk.AttendanceWindowEnding(attendance.DateOf(now, s.cfg.Location)), now
}

// assessSet decides for a set of students from their figures, reading
// their open records in one query. Records that must change are updated
// together in one transaction, which reads their figures again under the
// records' locks (updateSet); records to raise are raised together in
// another (raiseSet). A set that fails as a whole is retried student by
// student. A student that fails is counted in rep and returned in failed;
// err is a failure of the whole set.
func (s *Service) assessSet(ctx context.Context, figures []risk.AttendanceFigures, rep *Report) (failed []error, err error) {
	ids := make([]int64, len(figures))
	for i, f := range figures {
		ids[i] = f.StudentID
	}
	open, err := s.d.Stats.OpenAttendanceRisks(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("open attendance risks of %d students from %d: %w", len(ids), ids[0], err)
	}
	fail := func(studentID int64, err error) {
		rep.Failed++
		failed = append(failed, fmt.Errorf("student %d: %w", studentID, err))
	}
	var stale []staleRecord
	var raises []candidate
	// The set's reads stand for each student's: a record to change or to
	// raise joins its set, any other student is done (each student is
	// assessed once here; the sets decide again under their locks).
	for _, f := range figures {
		if r, has := open[f.StudentID]; has {
			if s.mustUpdate(f, r) {
				stale = append(stale, staleRecord{riskID: r.ID, studentID: f.StudentID})
			} else {
				rep.add(Result{StudentID: f.StudentID, Action: Unchanged})
			}
		} else if a := risk.AssessAttendance(f, s.cfg.Thresholds); a.Verdict == risk.VerdictAtRisk {
			raises = append(raises, candidate{studentID: f.StudentID, a: a})
		} else {
			rep.add(Result{StudentID: f.StudentID, Action: None})
		}
	}
	// each handles the students of a set that failed as a whole on their
	// own, so that one student's trouble does not hold back the others.
	each := func(ids []int64) {
		for _, id := range ids {
			res, err := s.Reassess(ctx, id)
			if err != nil {
				fail(id, err)
				continue
			}
			rep.add(res)
		}
	}
	if len(raises) > 0 {
		results, err := s.raiseSet(ctx, raises)
		if err != nil {
			ids := make([]int64, len(raises))
			for i, c := range raises {
				ids[i] = c.studentID
			}
			each(ids)
		}
		for _, res := range results {
			rep.add(res)
		}
	}
	if len(stale) == 0 {
		return failed, nil
	}
	results, again, err := s.updateSet(ctx, stale)
	if err != nil { // the set failed as a whole
		results, again = nil, nil
		for _, r := range stale {
			again = append(again, r.studentID)
		}
	}
	for _, res := range results {
		rep.add(res)
	}
	// With records a person resolved or deleted meanwhile: read afresh.
	each(again)
	return failed, nil
}

// OnEvents reassesses the students a job's attendance events concern,
// each once however many of its marks the job carries: their figures and
// open records in two statements, then a transaction only where a record
// must change. Any student's failure fails the job, so the queue retries
// it (a reassessment is idempotent).
func (s *Service) OnEvents(ctx context.Context, es []jobs.Event) (Report, error) {
	if len(es) == 1 {
		return s.OnEvent(ctx, es[0])
	}
	w, _ := s.window()
	seen := map[int64]bool{}
	var ids []int64
	for _, e := range es {
		concerned, err := studentsConcerned(e, w)
		if err != nil {
			return Report{}, fmt.Errorf("event %s: %w", e.ID, err)
		}
		for _, id := range concerned {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	var rep Report
	if len(ids) == 0 {
		return rep, nil
	}
	figures, err := s.d.Stats.StudentsFigures(ctx, ids, w)
	if err != nil {
		return rep, err
	}
	failed, err := s.assessSet(ctx, figures, &rep)
	if err != nil {
		return rep, err
	}
	return rep, errors.Join(failed...)
}

// OnEvent reassesses the students an attendance event concerns. Marks
// that cannot change the figures are skipped without a query: a re-mark
// that keeps the status, a record dated outside the window (the nightly
// pass follows the window as days go by), an edit of remarks or session.
func (s *Service) OnEvent(ctx context.Context, e jobs.Event) (Report, error) {
	w, _ := s.window()
	ids, err := studentsConcerned(e, w)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	for _, id := range ids {
		res, err := s.Reassess(ctx, id)
		if err != nil {
			return rep, fmt.Errorf("assess student %d: %w", id, err)
		}
		rep.add(res)
	}
	return rep, nil
}

var errMalformed = fault.New(fault.Invalid, "attendance event without a usable student_id, date or status")

// studentsConcerned reads the event's payload (see application/attendance
// marked and changed).
func studentsConcerned(e jobs.Event, w risk.AttendanceWindow) ([]int64, error) {
	switch e.Type {
	case event.AttendanceMarked:
		r, ok := markOf(e.Data)
		if !ok {
			return nil, errMalformed
		}
		created, _ := e.Data["created"].(bool)
		_, statusChanged := e.Data["previous_status"]
		if (!created && !statusChanged) || !w.Contains(r.date) {
			return nil, nil
		}
		return []int64{r.student}, nil
	case event.AttendanceChanged:
		before, ok := markOf(asMap(e.Data["before"]))
		if !ok {
			return nil, errMalformed
		}
		var after mark
		if e.Data["after"] != nil {
			if after, ok = markOf(asMap(e.Data["after"])); !ok {
				return nil, errMalformed
			}
			if after == before {
				return nil, nil
			}
		}
		var ids []int64
		if w.Contains(before.date) {
			ids = append(ids, before.student)
		}
		if after.student != 0 && w.Contains(after.date) && (len(ids) == 0 || ids[0] != after.student) {
			ids = append(ids, after.student)
		}
		return ids, nil
	}
	return nil, fault.Newf(fault.Invalid, "the attendance-risk agent does not handle %q events", e.Type)
}

// mark is what of a record counts for the figures.
type mark struct {
	student int64
	date    attendance.Date
	status  string
}

func markOf(m map[string]any) (mark, bool) {
	id, ok := asID(m["student_id"])
	if !ok {
		return mark{}, false
	}
	ds, _ := m["date"].(string)
	d, err := attendance.ParseDate(ds)
	if err != nil {
		return mark{}, false
	}
	st, _ := m["status"].(string)
	return mark{student: id, date: d, status: st}, true
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// asID reads a positive id as JSON decoding (float64) or an in-process
// payload (an integer) leaves it.
func asID(v any) (int64, bool) {
	var id int64
	switch n := v.(type) {
	case float64:
		if n != float64(int64(n)) {
			return 0, false
		}
		id = int64(n)
	case int64:
		id = n
	case int:
		id = int64(n)
	default:
		return 0, false
	}
	return id, id > 0
}

// Reassess brings the student's attendance record in line with their
// figures now. A concurrent run that created the record first, or a
// person who resolved it meanwhile, makes the first try a conflict; the
// second try sees their write.
func (s *Service) Reassess(ctx context.Context, studentID int64) (Result, error) {
	res, err := s.reassess(ctx, studentID)
	if errors.Is(err, fault.ErrConflict) {
		res, err = s.reassess(ctx, studentID)
	}
	return res, err
}

func (s *Service) reassess(ctx context.Context, studentID int64) (Result, error) {
	w, _ := s.window()
	open, err := s.d.Risks.OpenBySubject(ctx, risk.AttendanceSubject(studentID))
	hasOpen := err == nil
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return Result{StudentID: studentID, Action: None}, err
	}
	f, err := s.d.Stats.StudentFigures(ctx, studentID, w)
	if err != nil {
		return Result{StudentID: studentID, Action: None}, err
	}
	f.StudentID = studentID
	if !hasOpen {
		return s.decide(ctx, f, nil)
	}
	return s.decide(ctx, f, &open)
}

// decide acts on a student's figures and open record (nil: none), read
// just before: raises, updates (reading the figures again under the
// record's lock) or leaves it.
func (s *Service) decide(ctx context.Context, f risk.AttendanceFigures, openRisk *risk.Risk) (Result, error) {
	studentID := f.StudentID
	res := Result{StudentID: studentID, Action: None}
	a := risk.AssessAttendance(f, s.cfg.Thresholds)
	if openRisk == nil {
		if a.Verdict != risk.VerdictAtRisk {
			return res, nil
		}
		results, err := s.raiseSet(ctx, []candidate{{studentID: studentID, a: a}})
		if err != nil {
			return res, err
		}
		return results[0], nil
	}
	// Most marks leave a record as it is: find out without a transaction.
	if !s.mustUpdate(f, *openRisk) {
		res.Action = Unchanged
		return res, nil
	}
	results, again, err := s.updateSet(ctx, []staleRecord{{riskID: openRisk.ID, studentID: studentID}})
	switch {
	case err != nil:
		return res, err
	case len(again) > 0:
		// Resolved or deleted since it was read: Reassess reads afresh.
		return res, fault.Newf(fault.Conflict, "attendance risk %d of student %d changed meanwhile", openRisk.ID, studentID)
	}
	return results[0], nil
}

// mustUpdate reports whether the figures change the open record (read
// without a lock: updateSet decides again under it).
func (s *Service) mustUpdate(f risk.AttendanceFigures, open risk.Risk) bool {
	out, err := open.ApplyAttendance(risk.AssessAttendance(f, s.cfg.Thresholds), s.d.Clock.Now())
	return err == nil && out.Changed
}

// candidate is a student without an open record whose figures call for one.
type candidate struct {
	studentID int64
	a         risk.AttendanceAssessment
}

// raiseSet reads the candidates' latest resolved records in one query,
// holds those a person resolved recently at the same or a higher severity
// (risk.RaiseAgain), and raises the others in one transaction: the
// records, their risk.created events and audit entries, and the
// notifications (the audiences read in one query). A concurrent run that
// raised one of them first makes it a conflict, which rolls all of it
// back; the caller then takes the students one by one.
func (s *Service) raiseSet(ctx context.Context, cands []candidate) ([]Result, error) {
	now := s.d.Clock.Now()
	ids := make([]int64, len(cands))
	for i, c := range cands {
		ids[i] = c.studentID
	}
	last, err := s.d.Stats.LatestResolvedOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(cands))
	var rs []risk.Risk
	var at []int // results index of each record in rs
	for i, c := range cands {
		results[i] = Result{StudentID: c.studentID, Action: Held}
		var prev *risk.Risk
		if r, ok := last[c.studentID]; ok {
			prev = &r
		}
		if !risk.RaiseAgain(c.a, prev, now) {
			continue
		}
		r, err := risk.NewAttendanceRisk(c.a, c.studentID, Name, now)
		if err != nil {
			return nil, fmt.Errorf("student %d: %w", c.studentID, err)
		}
		rs = append(rs, r)
		at = append(at, i)
	}
	if len(rs) == 0 {
		return results, nil
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		created, err := s.d.Risks.CreateMany(ctx, rs)
		if err != nil {
			return err
		}
		events := make([]event.Event, len(created))
		entries := make([]audit.Entry, len(created))
		for i, r := range created {
			id := fmt.Sprint(r.ID)
			snap := apprisk.Snapshot(r)
			events[i] = event.New(s.d.IDs.NewID(), event.RiskCreated, resource, id, now, snap)
			entries[i] = systemEntry(now, audit.ActionCreate, id).Change(nil, snap)
		}
		if err := s.d.Outbox.Append(ctx, events...); err != nil {
			return err
		}
		if err := s.d.Audit.RecordMany(ctx, entries); err != nil {
			return err
		}
		told, err := s.notify(ctx, created, KindOpened, now)
		if err != nil {
			return err
		}
		for i, r := range created {
			results[at[i]] = Result{StudentID: results[at[i]].StudentID, Action: Created, Notified: told[r.ID]}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// staleRecord is an open record its student's figures would change.
type staleRecord struct {
	riskID, studentID int64
}

// updateSet applies the students' figures to their open records in one
// transaction: it locks the records, reads the figures again under the
// locks (so of two runs for one student the later one writes what the
// later figures say), saves what changed in one statement, and appends
// their risk.changed events and audit entries in one statement each. The
// students whose record is no longer open, or no longer exists, come
// back in again, for a fresh assessment.
func (s *Service) updateSet(ctx context.Context, stale []staleRecord) (results []Result, again []int64, err error) {
	w, now := s.window()
	studentOf := make(map[int64]int64, len(stale))
	unseen := make(map[int64]bool, len(stale))
	riskIDs := make([]int64, len(stale))
	studentIDs := make([]int64, len(stale))
	for i, r := range stale {
		studentOf[r.riskID] = r.studentID
		unseen[r.riskID] = true
		riskIDs[i], studentIDs[i] = r.riskID, r.studentID
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		results, again = results[:0], again[:0]
		before := map[int64]risk.Risk{}
		outcomes := map[int64]risk.AttendanceOutcome{}
		saved, err := s.d.Risks.UpdateMany(ctx, riskIDs, func(rs []risk.Risk) ([]risk.Risk, error) {
			fs, err := s.d.Stats.StudentsFigures(ctx, studentIDs, w)
			if err != nil {
				return nil, err
			}
			figures := make(map[int64]risk.AttendanceFigures, len(fs))
			for _, f := range fs {
				figures[f.StudentID] = f
			}
			var changed []risk.Risk
			for _, r := range rs {
				studentID := studentOf[r.ID]
				delete(unseen, r.ID)
				f, ok := figures[studentID]
				if !ok {
					f = risk.AttendanceFigures{StudentID: studentID}
				}
				prev := r
				out, err := r.ApplyAttendance(risk.AssessAttendance(f, s.cfg.Thresholds), now)
				switch {
				case errors.Is(err, risk.ErrAlreadyResolved):
					again = append(again, studentID)
					continue
				case err != nil:
					return nil, fmt.Errorf("student %d: %w", studentID, err)
				case !out.Changed:
					results = append(results, Result{StudentID: studentID, Action: Unchanged})
					continue
				}
				before[r.ID], outcomes[r.ID] = prev, out
				changed = append(changed, r)
			}
			// Records deleted since they were read.
			for _, r := range stale {
				if unseen[r.riskID] {
					again = append(again, r.studentID)
				}
			}
			return changed, nil
		})
		if err != nil {
			return err
		}
		events := make([]event.Event, 0, len(saved))
		entries := make([]audit.Entry, 0, len(saved))
		for _, after := range saved {
			id := fmt.Sprint(after.ID)
			prev, next := apprisk.Snapshot(before[after.ID]), apprisk.Snapshot(after)
			payload := apprisk.Snapshot(after)
			payload["previous"] = changed(prev, next)
			events = append(events, event.New(s.d.IDs.NewID(), event.RiskChanged, resource, id, now, payload))
			entries = append(entries, systemEntry(now, audit.ActionUpdate, id).Change(prev, next))
		}
		if err := s.d.Outbox.Append(ctx, events...); err != nil {
			return err
		}
		if err := s.d.Audit.RecordMany(ctx, entries); err != nil {
			return err
		}
		var critical []risk.Risk
		for _, after := range saved {
			if out := outcomes[after.ID]; out.BecameCritical && !out.Resolved {
				critical = append(critical, after)
			}
		}
		told, err := s.notify(ctx, critical, KindCritical, now)
		if err != nil {
			return err
		}
		for _, after := range saved {
			res := Result{StudentID: studentOf[after.ID], Action: Updated, Notified: told[after.ID]}
			if outcomes[after.ID].Resolved {
				res.Action = Resolved
			}
			results = append(results, res)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return results, again, nil
}

func systemEntry(now time.Time, action, id string) audit.Entry {
	return audit.Entry{At: now, ActorRole: SystemRole, Action: action, Resource: resource, ResourceID: id}
}

// changed maps each field whose value differs to its value before, as
// application/risk's risk.changed events do (here factors change too).
func changed(before, after map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range before {
		if fmt.Sprint(v) != fmt.Sprint(after[k]) {
			out[k] = v
		}
	}
	return out
}

// notify tells, about each record, the student's own accounts and their
// department's active staff; when the department has no active staff,
// the active admins instead, so that no risk goes unseen. The audiences
// are read in one query and the notifications written in one call; told
// is how many were written per record id.
func (s *Service) notify(ctx context.Context, rs []risk.Risk, kind string, now time.Time) (told map[int64]int, err error) {
	told = map[int64]int{}
	var ids []int64
	for _, r := range rs {
		if r.StudentID != nil {
			ids = append(ids, *r.StudentID)
		}
	}
	if len(ids) == 0 {
		return told, nil
	}
	auds, err := s.d.Stats.Audiences(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("audiences of %d students: %w", len(ids), err)
	}
	var ns []notification.Notification
	for _, r := range rs {
		if r.StudentID == nil {
			continue
		}
		aud, ok := auds[*r.StudentID]
		if !ok {
			return nil, fault.Newf(fault.NotFound, "Student %d not found", *r.StudentID)
		}
		n := notices(r, aud, kind, now)
		told[r.ID] = len(n)
		ns = append(ns, n...)
	}
	if len(ns) == 0 {
		return told, nil
	}
	if err := s.d.Notify.Notify(ctx, ns...); err != nil {
		return nil, fmt.Errorf("notify about %d risks: %w", len(rs), err)
	}
	return told, nil
}

// notices are the notifications about r for its audience, one per user.
func notices(r risk.Risk, aud ports.RiskAudience, kind string, now time.Time) []notification.Notification {
	who := fmt.Sprintf("%s (%s)", aud.StudentName, aud.RollNo)
	staff, fallback := aud.Staff, ""
	if len(staff) == 0 {
		staff = aud.Admins
		fallback = fmt.Sprintf(" You are told because no active staff account belongs to the department %q.", aud.Department)
	}
	var ns []notification.Notification
	seen := map[int64]bool{}
	add := func(userID int64, title, body string) {
		if seen[userID] {
			return
		}
		seen[userID] = true
		ns = append(ns, notification.Notification{UserID: userID, Kind: kind, Title: title, Body: body,
			Resource: resource, ResourceID: fmt.Sprint(r.ID), CreatedAt: now})
	}
	level := "An attendance risk was raised"
	if kind == KindCritical {
		level = "An attendance risk became critical"
	}
	for _, id := range aud.StudentUser {
		add(id, "Your attendance needs attention",
			level+" on your record. "+r.Description+" Please talk to your department's staff.")
	}
	for _, id := range staff {
		add(id, fmt.Sprintf("Attendance risk (%s): %s", r.Severity, who),
			strings.TrimSpace(fmt.Sprintf("%s for %s of %s. %s%s", level, who, aud.Department, r.Description, fallback)))
	}
	return ns
}

// maxNightlyFailures stops a nightly pass that keeps failing (the
// database is likely down) instead of trying every student.
const maxNightlyFailures = 20

// RunNightly reassesses everyone with attendance in the window or an open
// attendance record, a page of students at a time: one query for the
// page's figures and one for its open records, then a transaction only
// for the students whose record must change. A student that fails is
// counted and the pass goes on; the run then fails so the queue retries
// it, which redoes only what is still to do.
func (s *Service) RunNightly(ctx context.Context) (Report, error) {
	w, _ := s.window()
	var rep Report
	var errs []error
	var after int64
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		page, next, err := s.d.Stats.FiguresPage(ctx, w, after, s.cfg.PageSize)
		if err != nil {
			return rep, fmt.Errorf("figures after student %d: %w", after, err)
		}
		if next == 0 {
			break
		}
		after = next
		if len(page) == 0 {
			continue
		}
		ferrs, err := s.assessSet(ctx, page, &rep)
		errs = append(errs, ferrs...)
		if err != nil {
			return rep, err
		}
		if len(errs) >= maxNightlyFailures {
			return rep, fmt.Errorf("nightly attendance-risk pass stopped after %d failures: %w", len(errs), errors.Join(errs...))
		}
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("nightly attendance-risk pass: %d students failed: %w", len(errs), errors.Join(errs...))
	}
	return rep, nil
}
