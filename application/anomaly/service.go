// Package anomaly is the anomaly-detection agent: once a day it analyses
// the previous calendar day of the campus calendar (TIMEZONE) and records
// what stands out — a department's attendance falling well below its
// recent days, a student's sudden drop, a spike in complaints — once per
// subject and day, telling the admins about each new finding. The figures
// come from set-based queries (ports.AnomalySignals); the rules that judge
// them are domain/anomaly's.
package anomaly

import (
	"context"
	"errors"
	"fmt"
	"time"

	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/ports"
)

// Name is the agent's name.
const Name = "anomaly-detection"

// KindDetected is the kind of the notification about a new anomaly.
const KindDetected = "anomaly.detected"

const resource = "anomaly"

// Config is the campus calendar's zone and the detection's thresholds.
type Config struct {
	// Location is the campus calendar's zone (TIMEZONE); nil means UTC.
	Location *time.Location
	// Rules are the thresholds; zero fields take anomaly.DefaultRules.
	Rules anomaly.Rules
}

// Deps are the ports the agent uses.
type Deps struct {
	Anomalies ports.AnomalyRepository
	Signals   ports.AnomalySignals
	Users     ports.UserRepository
	Notify    *appnotification.Service
	Tx        ports.TxRunner
	Clock     ports.Clock
	// Outbox and IDs record an anomaly.recorded event with each new one.
	Outbox ports.Outbox
	IDs    ports.IDGenerator
}

// Service is the agent.
type Service struct {
	cfg Config
	d   Deps
}

// NewService builds the agent.
func NewService(cfg Config, d Deps) *Service {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	cfg.Rules = cfg.Rules.OrDefaults()
	return &Service{cfg: cfg, d: d}
}

// Report is what one run did.
type Report struct {
	Day      attendance.Date
	Found    int // anomalies the rules found
	Recorded int // of which were new
	Known    int // of which were recorded by an earlier run
	Notified int // notifications recorded
}

// Counts are the report as a run's counts.
func (r Report) Counts() map[string]int {
	return map[string]int{"found": r.Found, "recorded": r.Recorded, "known": r.Known, "notified": r.Notified}
}

// maxErrors bounds the failures a run collects before it stops.
const maxErrors = 5

// Run analyses the day before today (in the campus zone).
func (s *Service) Run(ctx context.Context) (Report, error) {
	today := attendance.DateOf(s.d.Clock.Now(), s.cfg.Location)
	return s.Analyse(ctx, anomaly.AddDays(today, -1))
}

// Analyse finds the anomalies of day and records the new ones, each with
// its notifications in one transaction. Re-running a day records nothing
// more: the store keeps one anomaly per type, subject and day.
func (s *Service) Analyse(ctx context.Context, day attendance.Date) (Report, error) {
	found, err := s.find(ctx, day)
	r := Report{Day: day, Found: len(found)}
	if err != nil {
		return r, err
	}
	if len(found) == 0 {
		return r, nil
	}
	admins, err := appnotification.ActiveAdmins(ctx, s.d.Users)
	if err != nil {
		return r, err
	}
	var errs []error
	for i := range found {
		isNew, err := s.record(ctx, &found[i], admins)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("anomaly %s: %w", found[i].Key(), err))
			if len(errs) >= maxErrors || ctx.Err() != nil {
				return r, errors.Join(errs...)
			}
		case isNew:
			r.Recorded++
			r.Notified += len(admins)
		default:
			r.Known++
		}
	}
	return r, errors.Join(errs...)
}

// find reads the day's figures and applies the rules.
func (s *Service) find(ctx context.Context, day attendance.Date) ([]anomaly.Anomaly, error) {
	rules := s.cfg.Rules
	days, err := s.d.Signals.DepartmentDays(ctx, rules.DepartmentSpan(day))
	if err != nil {
		return nil, fmt.Errorf("department attendance: %w", err)
	}
	out := rules.DepartmentDrops(day, days)

	windows, err := s.d.Signals.StudentWindows(ctx, rules.StudentSpans(day), rules.StudentMinRecentMarks,
		rules.StudentMinPreviousMarks, rules.StudentMinDrop)
	if err != nil {
		return nil, fmt.Errorf("student attendance: %w", err)
	}
	for _, w := range windows {
		if a, ok := rules.StudentDrop(day, w); ok {
			out = append(out, a)
		}
	}

	start, end := anomaly.DayBounds(day, s.cfg.Location)
	prevStart, _ := anomaly.DayBounds(anomaly.AddDays(day, -1), s.cfg.Location)
	previous, filed, err := s.d.Signals.ComplaintsFiled(ctx, prevStart, start, end)
	if err != nil {
		return nil, fmt.Errorf("complaints filed: %w", err)
	}
	if a, ok := rules.ComplaintSpike(day, filed, previous); ok {
		out = append(out, a)
	}
	return out, nil
}

// record stores a and, when it is new, notifies the admins in the same
// transaction: a retried run finds it recorded and notifies no one again.
func (s *Service) record(ctx context.Context, a *anomaly.Anomaly, admins []int64) (bool, error) {
	now := s.d.Clock.Now()
	a.CreatedAt = now
	var isNew bool
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if isNew, err = s.d.Anomalies.Record(ctx, a); err != nil || !isNew {
			return err
		}
		ev := event.New(s.d.IDs.NewID(), event.AnomalyRecorded, resource, fmt.Sprint(a.ID), now,
			map[string]any{"id": a.ID, "type": string(a.Type), "subject_kind": string(a.SubjectKind), "subject": a.Subject,
				"day": a.Day.String(), "description": a.Description})
		if err := s.d.Outbox.Append(ctx, ev); err != nil {
			return err
		}
		if len(admins) == 0 {
			return nil
		}
		ns := make([]notification.Notification, len(admins))
		for i, u := range admins {
			ns[i] = notification.Notification{UserID: u, Kind: KindDetected, Title: Title(*a), Body: a.Description,
				Resource: resource, ResourceID: fmt.Sprint(a.ID), CreatedAt: now}
		}
		return s.d.Notify.Notify(ctx, ns...)
	})
	if err != nil {
		return false, err
	}
	return isNew, nil
}

// Title is the notification title of an anomaly.
func Title(a anomaly.Anomaly) string {
	switch {
	case a.Type == anomaly.ComplaintSpike:
		return fmt.Sprintf("Complaint spike on %s", a.Day)
	case a.SubjectKind == anomaly.Student:
		return fmt.Sprintf("Sudden attendance drop: student %s on %s", a.Subject, a.Day)
	default:
		return fmt.Sprintf("Attendance drop in %s on %s", a.Subject, a.Day)
	}
}
