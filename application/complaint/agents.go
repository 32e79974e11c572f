package complaint

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/application/jobs"
	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/ports"
)

// AgentDeps are what the complaint agents use.
type AgentDeps struct {
	Repo   ports.ComplaintRepository
	Sweeps ports.ComplaintAgentStore
	Notify *appnotification.Service
	Audit  ports.AuditLog
	Tx     ports.TxRunner
	Clock  ports.Clock
	Outbox ports.Outbox
	IDs    ports.IDGenerator
}

// Notification kinds the complaint agents send.
const (
	KindAssigned  = "complaint.assigned"
	KindEscalated = "complaint.escalated"
)

// batch is how many complaint ids a pass reads at a time.
const batch = 200

// maxErrors bounds the failures a pass collects before it stops: one bad
// complaint does not stop the others, a broken database does not go on.
const maxErrors = 5

// agentNow is the clock's time at the microsecond precision the stores
// keep, so the times an agent writes in the history equal those read back
// from the complaint.
func agentNow(c ports.Clock) time.Time { return c.Now().UTC().Truncate(time.Microsecond) }

// errSkip aborts a complaint's update when there is nothing to do.
var errSkip = errors.New("nothing to do")

// recordAgentChange writes what every update of a complaint writes besides
// its history: the complaint.changed event and the audit entry, with the
// agent as the actor (no user).
func recordAgentChange(ctx context.Context, d AgentDeps, agentName string, now time.Time, c complaint.Complaint, before map[string]any,
	changes []complaint.FieldChange, note string) error {
	diff := make(map[string]any, len(changes))
	for _, fc := range changes {
		diff[fc.Field] = map[string]any{"from": fc.From, "to": fc.To}
	}
	payload := map[string]any{"id": c.ID, "student_id": c.StudentID, "changes": diff, "by": complaint.ByAgent, "agent": agentName, "note": note}
	rid := fmt.Sprint(c.ID)
	if err := d.Outbox.Append(ctx, event.New(d.IDs.NewID(), event.ComplaintChanged, resource, rid, now, payload)); err != nil {
		return fmt.Errorf("record complaint %d change: %w", c.ID, err)
	}
	e := audit.Entry{At: now, ActorRole: "agent:" + agentName, Action: audit.ActionUpdate, Resource: resource, ResourceID: rid}
	if err := d.Audit.Record(ctx, e.Change(before, complaint.Snapshot(c))); err != nil {
		return fmt.Errorf("audit complaint %d change: %w", c.ID, err)
	}
	return nil
}

// pass runs one per complaint over every page sel returns, each in its
// own transaction, and joins the failures.
func pass(ctx context.Context, sel func(ctx context.Context, afterID int64) ([]int64, error), one func(ctx context.Context, id int64) error) error {
	var errs []error
	var after int64
	for {
		ids, err := sel(ctx, after)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, id := range ids {
			if err := one(ctx, id); err != nil {
				errs = append(errs, fmt.Errorf("complaint %d: %w", id, err))
				if len(errs) >= maxErrors || ctx.Err() != nil {
					return errors.Join(errs...)
				}
			}
		}
		if len(ids) < batch {
			return errors.Join(errs...)
		}
		after = ids[len(ids)-1]
	}
}

// TriageReport is what a triage run did.
type TriageReport struct {
	Triaged  int // complaints given a triage decision
	Changed  int // of which a field changed
	Assigned int // of which were assigned
	Skipped  int // already triaged, no longer pending, or gone
}

// Counts are the report as a run's counts.
func (r TriageReport) Counts() map[string]int {
	return map[string]int{"triaged": r.Triaged, "changed": r.Changed, "assigned": r.Assigned, "skipped": r.Skipped}
}

func (r *TriageReport) add(o TriageReport) {
	r.Triaged, r.Changed, r.Assigned, r.Skipped = r.Triaged+o.Triaged, r.Changed+o.Changed, r.Assigned+o.Assigned, r.Skipped+o.Skipped
}

// Triage is the complaint-triage agent: a newly filed complaint gets the
// category and priority its text suggests where the filer left the
// default, and the staff member with the fewest open complaints when no
// one is assigned; the decision and its reasons go in the history, the
// assignee is notified. A complaint is triaged once.
type Triage struct {
	d     AgentDeps
	rules complaint.Rules
}

// NewTriage builds the agent over its keyword rules (DefaultRules).
func NewTriage(d AgentDeps, rules complaint.Rules) *Triage { return &Triage{d: d, rules: rules} }

// OnEvent triages the complaint a complaint.filed event names; other
// events are not the agent's.
func (t *Triage) OnEvent(ctx context.Context, e jobs.Event) (TriageReport, error) {
	if e.Type != event.ComplaintFiled {
		return TriageReport{}, nil
	}
	id, err := strconv.ParseInt(e.AggregateID, 10, 64)
	if err != nil || id <= 0 {
		return TriageReport{}, fault.Newf(fault.Invalid, "complaint.filed event %s names no complaint (%q)", e.ID, e.AggregateID)
	}
	return t.One(ctx, id)
}

// Run triages every pending complaint not yet triaged (run now, or a
// catch-up after events were lost to a disabled agent).
func (t *Triage) Run(ctx context.Context) (TriageReport, error) {
	var rep TriageReport
	err := pass(ctx, func(ctx context.Context, after int64) ([]int64, error) {
		return t.d.Sweeps.Untriaged(ctx, after, batch)
	}, func(ctx context.Context, id int64) error {
		r, err := t.One(ctx, id)
		rep.add(r)
		return err
	})
	return rep, err
}

// One triages one complaint in one transaction: the decision, its history
// entry, the change event and audit entry, and the assignee's
// notification commit together or not at all. A complaint already
// triaged or no longer pending is skipped.
func (t *Triage) One(ctx context.Context, id int64) (TriageReport, error) {
	var rep TriageReport
	err := t.d.Tx.InTx(ctx, func(ctx context.Context) error {
		now := agentNow(t.d.Clock)
		var dec complaint.Triage
		var before map[string]any
		c, err := t.d.Repo.Update(ctx, id, func(c *complaint.Complaint) error {
			if !c.Triageable() {
				return errSkip
			}
			done, err := t.d.Sweeps.Triaged(ctx, id)
			if err != nil {
				return err
			}
			if done {
				return errSkip
			}
			var who *complaint.Assignee
			if c.AssignedTo == nil {
				a, err := t.d.Sweeps.LeastLoadedStaff(ctx)
				switch {
				case err == nil:
					who = &a
				case !errors.Is(err, fault.ErrNotFound):
					return err
				}
			}
			before = complaint.Snapshot(*c)
			dec = c.Triage(t.rules.Suggest(c.Title+"\n"+c.Description), who, now)
			return nil
		})
		if errors.Is(err, errSkip) || errors.Is(err, fault.ErrNotFound) {
			rep.Skipped++
			return nil
		}
		if err != nil {
			return fmt.Errorf("triage complaint %d: %w", id, err)
		}
		note := appagent.ComplaintTriage + ": " + dec.Note()
		h := complaint.HistoryEntry{ComplaintID: id, At: now, By: complaint.ByAgent, Action: complaint.ActionTriaged,
			Changes: dec.Changes, Note: note}
		if err := t.d.Repo.AppendHistory(ctx, &h); err != nil {
			return err
		}
		rep.Triaged++
		if len(dec.Changes) > 0 {
			rep.Changed++
			if err := recordAgentChange(ctx, t.d, appagent.ComplaintTriage, now, c, before, dec.Changes, note); err != nil {
				return err
			}
		}
		if dec.Assigned != nil {
			rep.Assigned++
			n := notification.Notification{UserID: *dec.Assigned, Kind: KindAssigned, Resource: resource, ResourceID: fmt.Sprint(id),
				Title: fmt.Sprintf("Complaint #%d assigned to you", id),
				Body: fmt.Sprintf("%q: %s, %s priority, due %s. Triage: %s", c.Title, c.Category, c.Priority,
					c.DueAt.UTC().Format("2006-01-02 15:04 MST"), dec.Note())}
			if err := t.d.Notify.Notify(ctx, n); err != nil {
				return fmt.Errorf("notify assignee of complaint %d: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return TriageReport{}, err
	}
	return rep, nil
}

// EscalationReport is what an escalation run did.
type EscalationReport struct {
	Escalated int // breaches escalated
	Raised    int // of which the priority went up (the others were urgent)
	Notified  int // notifications sent
	Skipped   int // no longer breached when locked, or gone
}

// Counts are the report as a run's counts.
func (r EscalationReport) Counts() map[string]int {
	return map[string]int{"escalated": r.Escalated, "raised": r.Raised, "notified": r.Notified, "skipped": r.Skipped}
}

// Escalation is the complaint-escalation agent: an open complaint past
// its due time goes up one priority level once per breach, with its due
// time counted again from now, and its assignee and the active admins are
// told once.
type Escalation struct{ d AgentDeps }

// NewEscalation builds the agent.
func NewEscalation(d AgentDeps) *Escalation { return &Escalation{d: d} }

// Run escalates every breach not yet escalated, one transaction per
// complaint.
func (s *Escalation) Run(ctx context.Context) (EscalationReport, error) {
	var rep EscalationReport
	now := agentNow(s.d.Clock)
	var admins []int64
	loaded := false
	err := pass(ctx, func(ctx context.Context, after int64) ([]int64, error) {
		ids, err := s.d.Sweeps.Breached(ctx, now, after, batch)
		if err == nil && len(ids) > 0 && !loaded {
			admins, err = s.d.Sweeps.ActiveAdmins(ctx)
			loaded = err == nil
		}
		return ids, err
	}, func(ctx context.Context, id int64) error {
		r, err := s.one(ctx, id, now, admins)
		rep.Escalated, rep.Raised, rep.Notified, rep.Skipped = rep.Escalated+r.Escalated, rep.Raised+r.Raised,
			rep.Notified+r.Notified, rep.Skipped+r.Skipped
		return err
	})
	return rep, err
}

// one escalates one complaint's breach under its row lock, so a second
// run (or a concurrent one) finds the breach already remembered.
func (s *Escalation) one(ctx context.Context, id int64, now time.Time, admins []int64) (EscalationReport, error) {
	var rep EscalationReport
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var esc complaint.Escalation
		var before map[string]any
		c, err := s.d.Repo.Update(ctx, id, func(c *complaint.Complaint) error {
			before = complaint.Snapshot(*c)
			var ok bool
			if esc, ok = c.Escalate(now); !ok {
				return errSkip
			}
			return nil
		})
		if errors.Is(err, errSkip) || errors.Is(err, fault.ErrNotFound) {
			rep.Skipped++
			return nil
		}
		if err != nil {
			return fmt.Errorf("escalate complaint %d: %w", id, err)
		}
		note := appagent.ComplaintEscalation + ": " + esc.Reason
		h := complaint.HistoryEntry{ComplaintID: id, At: now, By: complaint.ByAgent, Action: complaint.ActionEscalated,
			Changes: esc.Changes, Note: note}
		if err := s.d.Repo.AppendHistory(ctx, &h); err != nil {
			return err
		}
		rep.Escalated++
		if esc.Raised {
			rep.Raised++
			if err := recordAgentChange(ctx, s.d, appagent.ComplaintEscalation, now, c, before, esc.Changes, note); err != nil {
				return err
			}
		}
		ns := escalationNotices(c, esc, admins)
		if len(ns) == 0 {
			return nil
		}
		if err := s.d.Notify.Notify(ctx, ns...); err != nil {
			return fmt.Errorf("notify escalation of complaint %d: %w", id, err)
		}
		rep.Notified = len(ns)
		return nil
	})
	if err != nil {
		return EscalationReport{}, err
	}
	return rep, nil
}

// escalationNotices tell the assignee (if any) and every active admin,
// each once.
func escalationNotices(c complaint.Complaint, e complaint.Escalation, admins []int64) []notification.Notification {
	title := fmt.Sprintf("Complaint #%d escalated to %s", c.ID, e.To)
	if !e.Raised {
		title = fmt.Sprintf("Complaint #%d is overdue (already urgent)", c.ID)
	}
	body := fmt.Sprintf("%q (%s): %s", c.Title, c.Status, e.Reason)
	var out []notification.Notification
	seen := map[int64]bool{}
	add := func(user int64) {
		if seen[user] {
			return
		}
		seen[user] = true
		out = append(out, notification.Notification{UserID: user, Kind: KindEscalated, Title: title, Body: body,
			Resource: resource, ResourceID: fmt.Sprint(c.ID)})
	}
	if c.AssignedTo != nil {
		add(*c.AssignedTo)
	}
	for _, a := range admins {
		add(a)
	}
	return out
}
