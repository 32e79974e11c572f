// Package conflictscan is the schedule-conflict-scan agent: clashes that
// exist in the timetable (imported, or re-activated without the write-time
// check) become `schedule` risk records, so someone fixes them. It uses the
// same clash rule as the 409 on writes (domain/schedule), and raises each
// clashing pair once: a record about the pair, open or resolved, means a
// person has it in hand or has decided, and the agent does not raise it
// again.
package conflictscan

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/campus/campus/application/jobs"
	appnotification "github.com/campus/campus/application/notification"
	apprisk "github.com/campus/campus/application/risk"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/schedule"
	"github.com/campus/campus/ports"
)

// Name is the agent's name: the source of its risk records.
const Name = "schedule-conflict-scan"

// KindRiskOpened is the kind of the notification about a new record.
const KindRiskOpened = "risk.opened"

const resource = "risk"

// Config bounds the hourly pass.
type Config struct {
	// Lookback is how far before now the hourly pass starts: entries that
	// ended longer ago are history, not worth a risk. Everything after it,
	// however far ahead, is scanned. Default 24 h.
	Lookback time.Duration
}

// Deps are the ports the agent uses.
type Deps struct {
	Schedules ports.ScheduleRepository
	Risks     ports.RiskRepository
	Users     ports.UserRepository
	Notify    *appnotification.Service
	Audit     ports.AuditLog
	Tx        ports.TxRunner
	Clock     ports.Clock
	Outbox    ports.Outbox
	IDs       ports.IDGenerator
}

// Service is the agent.
type Service struct {
	cfg Config
	d   Deps
}

// NewService builds the agent.
func NewService(cfg Config, d Deps) *Service {
	if cfg.Lookback <= 0 {
		cfg.Lookback = 24 * time.Hour
	}
	return &Service{cfg: cfg, d: d}
}

// Report is what one run did.
type Report struct {
	Clashes  int // clashing pairs found
	Raised   int // of which got a new risk record
	Known    int // of which a record (open or resolved) already existed
	Notified int // notifications recorded
}

// Counts are the report as a run's counts.
func (r Report) Counts() map[string]int {
	return map[string]int{"clashes": r.Clashes, "raised": r.Raised, "known": r.Known, "notified": r.Notified}
}

// maxErrors bounds the failures a pass collects before it stops: one bad
// pair does not stop the others, a broken database does not go on.
const maxErrors = 5

// Run is the hourly pass: every clash among the active entries that end
// after now − Lookback.
func (s *Service) Run(ctx context.Context) (Report, error) {
	from := s.d.Clock.Now().Add(-s.cfg.Lookback)
	entries, err := s.d.Schedules.Active(ctx, &from, nil)
	if err != nil {
		return Report{}, fmt.Errorf("load active schedule entries: %w", err)
	}
	return s.raise(ctx, schedule.Pairs(entries), "the hourly scan")
}

// OnEvent scans around the entry a schedule.changed event names: the
// entry as it is now (an update may have been followed by another, or a
// delete) against the active entries in its time window. A deleted or
// inactive entry clashes with nothing.
func (s *Service) OnEvent(ctx context.Context, e jobs.Event) (Report, error) {
	if e.Type != event.ScheduleChanged {
		return Report{}, nil
	}
	id, err := strconv.ParseInt(e.AggregateID, 10, 64)
	if err != nil || id <= 0 {
		return Report{}, fault.Newf(fault.Invalid, "schedule.changed event %s names no entry (%q)", e.ID, e.AggregateID)
	}
	entry, err := s.d.Schedules.Get(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		return Report{}, nil
	}
	if err != nil {
		return Report{}, fmt.Errorf("load schedule entry %d: %w", id, err)
	}
	if !entry.IsActive {
		return Report{}, nil
	}
	others, err := s.d.Schedules.Active(ctx, &entry.StartsAt, &entry.EndsAt)
	if err != nil {
		return Report{}, fmt.Errorf("load entries around schedule entry %d: %w", id, err)
	}
	return s.raise(ctx, schedule.PairsWith(entry, others), fmt.Sprintf("a change to entry #%d", id))
}

// raise records each pair not yet known, each in its own transaction.
func (s *Service) raise(ctx context.Context, pairs []schedule.Pair, trigger string) (Report, error) {
	r := Report{Clashes: len(pairs)}
	var admins []int64
	loaded := false
	var errs []error
	for _, p := range pairs {
		if !loaded {
			var err error
			if admins, err = appnotification.ActiveAdmins(ctx, s.d.Users); err != nil {
				return r, err
			}
			loaded = true
		}
		raised, notified, err := s.one(ctx, p, admins, trigger)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("clash %s: %w", p.SubjectKey(), err))
			if len(errs) >= maxErrors || ctx.Err() != nil {
				return r, errors.Join(errs...)
			}
		case raised:
			r.Raised++
			r.Notified += notified
		default:
			r.Known++
		}
	}
	return r, errors.Join(errs...)
}

// errKnown aborts the transaction of a pair that another run recorded
// between this run's check and its insert (the open-subject unique index).
var errKnown = errors.New("pair already recorded")

// one records the pair's risk, its risk.created event, its audit entry and
// the admins' notifications in one transaction, unless a record about the
// pair exists.
func (s *Service) one(ctx context.Context, p schedule.Pair, admins []int64, trigger string) (raised bool, notified int, err error) {
	now := s.d.Clock.Now()
	key := p.SubjectKey()
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		known, err := s.d.Risks.EverAbout(ctx, key)
		if err != nil {
			return err
		}
		if known {
			return errKnown
		}
		rk, err := Risk(p, trigger, now)
		if err != nil {
			return err
		}
		if err := s.d.Risks.Create(ctx, &rk); err != nil {
			if errors.Is(err, fault.ErrConflict) {
				return errKnown
			}
			return err
		}
		id := strconv.FormatInt(rk.ID, 10)
		snap := apprisk.Snapshot(rk)
		if err := s.d.Outbox.Append(ctx, event.New(s.d.IDs.NewID(), event.RiskCreated, resource, id, now, snap)); err != nil {
			return err
		}
		entry := audit.Entry{At: now, ActorRole: "agent:" + Name, Action: audit.ActionCreate, Resource: resource, ResourceID: id}
		if err := s.d.Audit.Record(ctx, entry.Change(nil, snap)); err != nil {
			return err
		}
		ns := make([]notification.Notification, len(admins))
		for i, u := range admins {
			ns[i] = notification.Notification{UserID: u, Kind: KindRiskOpened, Title: title(p), Body: rk.Description,
				Resource: resource, ResourceID: id, CreatedAt: now}
		}
		if len(ns) > 0 {
			if err := s.d.Notify.Notify(ctx, ns...); err != nil {
				return err
			}
		}
		notified = len(ns)
		return nil
	})
	if errors.Is(err, errKnown) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	return true, notified, nil
}

// Severity grades a clash: one involving an exam is high (a student who
// cannot sit an exam, or an exam hall taken, is not fixed by moving a
// class later), any other is medium.
func Severity(p schedule.Pair) risk.Severity {
	if p.Involves(schedule.Exam) {
		return risk.High
	}
	return risk.Medium
}

// Risk is the record about a clashing pair: severity by Severity, the
// factors name both entries, each kind of clash with what is shared, and
// the overlap.
func Risk(p schedule.Pair, trigger string, now time.Time) (risk.Risk, error) {
	start, end := p.Overlap()
	minutes := end.Sub(start).Minutes()
	factors := []risk.Factor{
		{Name: "entry_a", Value: describe(p.A)},
		{Name: "entry_b", Value: describe(p.B)},
		{Name: "clash", Value: p.ReasonList()},
	}
	var shared []string
	for _, r := range p.Reasons {
		v := p.Shared(r)
		factors = append(factors, risk.Factor{Name: "same_" + string(r), Value: v})
		shared = append(shared, fmt.Sprintf("the same %s (%s)", r, v))
	}
	factors = append(factors,
		risk.Factor{Name: "overlap_from", Value: start.Format(time.RFC3339)},
		risk.Factor{Name: "overlap_to", Value: end.Format(time.RFC3339)},
		risk.Factor{Name: "overlap_minutes", Value: minutes})
	sev := Severity(p)
	why := "neither is an exam"
	if sev == risk.High {
		why = "an exam is involved"
	}
	desc := fmt.Sprintf("Schedule clash: entry #%d %q (%s) and entry #%d %q (%s) overlap for %.0f minutes, %s to %s UTC, with %s. "+
		"Severity %s: %s. Found by %s; fix the timetable and resolve this record. Each pair is raised once: "+
		"once resolved, the scan does not raise it again.",
		p.A.ID, p.A.Title, p.A.EventType, p.B.ID, p.B.Title, p.B.EventType, minutes,
		start.Format("2006-01-02 15:04"), end.Format("15:04"), strings.Join(shared, " and "), sev, why, trigger)
	rk, err := risk.New(risk.Fields{Type: string(risk.Schedule), Severity: string(sev), Factors: factors, Description: truncate(desc)}, Name, now)
	if err != nil {
		return risk.Risk{}, fmt.Errorf("build schedule risk %s: %w", p.SubjectKey(), err)
	}
	rk.SubjectKey = p.SubjectKey()
	return rk, nil
}

// describe renders an entry for a factor (at most 500 characters).
func describe(e schedule.Entry) string {
	s := fmt.Sprintf("#%d %s (%s) %s–%s", e.ID, e.Title, e.EventType, e.StartsAt.UTC().Format(time.RFC3339), e.EndsAt.UTC().Format(time.RFC3339))
	if r := []rune(s); len(r) > 500 {
		s = string(r[:500])
	}
	return s
}

func truncate(s string) string {
	if r := []rune(s); len(r) > risk.MaxDescription {
		return string(r[:risk.MaxDescription])
	}
	return s
}

func title(p schedule.Pair) string {
	return fmt.Sprintf("Schedule clash: #%d and #%d (%s)", p.A.ID, p.B.ID, p.ReasonList())
}
