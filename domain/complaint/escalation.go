package complaint

import (
	"fmt"
	"time"
)

// Escalation is what the escalation of one breach did.
type Escalation struct {
	// Breached is the due time that passed.
	Breached time.Time
	From, To Priority
	// Raised is false when the complaint was already urgent: the breach
	// is still recorded and notified, but nothing can go higher.
	Raised  bool
	Changes []FieldChange
	// Reason explains the escalation in words, for the history and the
	// notifications.
	Reason string
}

// Breached reports whether the complaint is overdue at now and this
// breach (its current due time) has not been escalated yet.
func (c Complaint) Breached(now time.Time) bool {
	return c.Overdue(now) && (c.EscalatedDueAt == nil || !c.EscalatedDueAt.Equal(c.DueAt))
}

// Escalate raises an overdue complaint one priority level, once per
// breach: it remembers the breached due time, and the new due time is
// counted from now with the new priority's window (not from filing, which
// would leave the complaint overdue at once and give it no time to be
// handled). An urgent complaint stays urgent and keeps its due time; its
// breach is remembered all the same. It reports false, changing nothing,
// when there is no new breach at now.
func (c *Complaint) Escalate(now time.Time) (Escalation, bool) {
	if !c.Breached(now) {
		return Escalation{}, false
	}
	now = now.UTC()
	breached := c.DueAt
	e := Escalation{Breached: breached, From: c.Priority, To: c.Priority}
	next := *c
	next.EscalatedDueAt = &breached
	if to, ok := c.Priority.Raise(); ok {
		next.Priority, next.PriorityDefaulted = to, false
		next.DueAt = now.Add(to.Window())
		next.UpdatedAt = now
		e.To, e.Raised = to, true
		e.Changes = diff(*c, next)
		e.Reason = fmt.Sprintf("overdue since %s while %s: priority raised from %s to %s; due_at recomputed from now with the %s window (%s), to %s",
			stampText(breached), c.Status, e.From, e.To, e.To, hours(e.To.Window()), stampText(next.DueAt))
	} else {
		e.Reason = fmt.Sprintf("overdue since %s while %s: already urgent, the highest priority, so it stays urgent; the breach is notified once",
			stampText(breached), c.Status)
	}
	*c = next
	return e, true
}

func stampText(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func hours(d time.Duration) string { return fmt.Sprintf("%d h", int(d.Hours())) }
