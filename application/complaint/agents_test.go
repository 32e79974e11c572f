package complaint_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/complaint"
	"github.com/campus/campus/application/jobs"
	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/tests/mocks"
)

// agentFixture is the complaint agents over mocked ports, keeping what
// they write.
type agentFixture struct {
	repo    *mocks.ComplaintRepository
	sweeps  *mocks.ComplaintAgentStore
	notes   *mocks.NotificationRepository
	audit   *mocks.AuditLog
	outbox  *mocks.Outbox
	triage  *app.Triage
	escal   *app.Escalation
	stored  map[int64]complaint.Complaint
	history []complaint.HistoryEntry
	events  []event.Event
	entries []audit.Entry
	sent    []notification.Notification
	txs     []string
}

func newAgentFixture(t *testing.T) *agentFixture {
	f := &agentFixture{repo: mocks.NewComplaintRepository(t), sweeps: mocks.NewComplaintAgentStore(t),
		notes: mocks.NewNotificationRepository(t), audit: mocks.NewAuditLog(t), outbox: mocks.NewOutbox(t),
		stored: map[int64]complaint.Complaint{}}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		err := fn(ctx)
		f.txs = append(f.txs, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	ids := mocks.NewIDGenerator(t)
	ids.EXPECT().NewID().Return("event-1").Maybe()
	f.repo.EXPECT().Update(anyArg, anyArg, anyArg).RunAndReturn(
		func(_ context.Context, id int64, fn func(*complaint.Complaint) error) (complaint.Complaint, error) {
			c, ok := f.stored[id]
			if !ok {
				return complaint.Complaint{}, fault.New(fault.NotFound, "Complaint not found")
			}
			if err := fn(&c); err != nil {
				return complaint.Complaint{}, err
			}
			f.stored[id] = c
			return c, nil
		}).Maybe()
	f.repo.EXPECT().AppendHistory(anyArg, anyArg).RunAndReturn(func(_ context.Context, h *complaint.HistoryEntry) error {
		h.ID = int64(len(f.history) + 1)
		f.history = append(f.history, *h)
		return nil
	}).Maybe()
	f.outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.events = append(f.events, evs...)
		return nil
	}).Maybe()
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	}).Maybe()
	f.notes.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, ns []notification.Notification) error {
		f.sent = append(f.sent, ns...)
		return nil
	}).Maybe()
	d := app.AgentDeps{Repo: f.repo, Sweeps: f.sweeps, Notify: appnotification.NewService(f.notes, clock), Audit: f.audit,
		Tx: tx, Clock: clock, Outbox: f.outbox, IDs: ids}
	rules, err := app.DefaultRules()
	require.NoError(t, err)
	f.triage, f.escal = app.NewTriage(d, rules), app.NewEscalation(d)
	return f
}

var filedAt = now.Add(-10 * time.Hour)

// filed stores a complaint as a student filed it with nothing but text.
func (f *agentFixture) filed(t *testing.T, id int64, title, desc string) complaint.Complaint {
	t.Helper()
	c, err := complaint.New(complaint.Fields{StudentID: 7, Title: title, Description: desc}, 5, filedAt)
	require.NoError(t, err)
	c.ID = id
	f.stored[id] = c
	return c
}

func TestTriageAppliesSuggestionsAndAssigns(t *testing.T) {
	f := newAgentFixture(t)
	f.filed(t, 11, "Heater broken", "The heater in hostel room 12 is broken and water leaks")
	f.sweeps.EXPECT().Triaged(anyArg, int64(11)).Return(false, nil).Once()
	f.sweeps.EXPECT().LeastLoadedStaff(anyArg).Return(complaint.Assignee{UserID: 4, Open: 1}, nil).Once()

	rep, err := f.triage.One(ctx, 11)
	require.NoError(t, err)
	assert.Equal(t, app.TriageReport{Triaged: 1, Changed: 1, Assigned: 1}, rep)
	assert.Equal(t, []string{"commit"}, f.txs)

	c := f.stored[11]
	assert.Equal(t, complaint.Facilities, c.Category)
	assert.Equal(t, complaint.High, c.Priority)
	assert.Equal(t, filedAt.Add(48*time.Hour), c.DueAt, "due_at follows the new priority from created_at")
	assert.Equal(t, int64(4), *c.AssignedTo)

	require.Len(t, f.history, 1)
	h := f.history[0]
	assert.Equal(t, complaint.ActionTriaged, h.Action)
	assert.Equal(t, complaint.ByAgent, h.By)
	assert.Equal(t, now, h.At)
	assert.Equal(t, []string{"category", "priority", "due_at", "assigned_to"}, fieldsChanged(h.Changes))
	assert.Contains(t, h.Note, "complaint-triage: category facilities: rule \"facilities\" matched heater*, leak*, water, broken, hostel, room")
	assert.Contains(t, h.Note, "priority high: rule \"high-impact\" matched broken, leak*")
	assert.Contains(t, h.Note, "assigned to user 4: the active staff member with the fewest open complaints (1;")

	require.Len(t, f.events, 1)
	assert.Equal(t, event.ComplaintChanged, f.events[0].Type)
	assert.Equal(t, "complaint-triage", f.events[0].Payload["agent"])
	assert.Equal(t, complaint.ByAgent, f.events[0].Payload["by"])
	require.Len(t, f.entries, 1)
	assert.Equal(t, "agent:complaint-triage", f.entries[0].ActorRole)
	assert.Nil(t, f.entries[0].ActorID)
	assert.Equal(t, "other", f.entries[0].Before["category"])
	assert.Equal(t, "facilities", f.entries[0].After["category"])

	require.Len(t, f.sent, 1)
	n := f.sent[0]
	assert.Equal(t, int64(4), n.UserID)
	assert.Equal(t, app.KindAssigned, n.Kind)
	assert.Equal(t, "Complaint #11 assigned to you", n.Title)
	assert.Contains(t, n.Body, "heater*")
	assert.Equal(t, "complaint", n.Resource)
	assert.Equal(t, "11", n.ResourceID)
}

func fieldsChanged(cs []complaint.FieldChange) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Field)
	}
	return out
}

func TestTriageKeepsWhatTheFilerChose(t *testing.T) {
	f := newAgentFixture(t)
	c := f.filed(t, 11, "Heater broken", "The heater in hostel room 12 is broken and water leaks")
	c.Category, c.CategoryDefaulted = complaint.Academic, false
	c.Priority, c.PriorityDefaulted = complaint.Low, false
	two := int64(2)
	c.AssignedTo = &two
	f.stored[11] = c
	f.sweeps.EXPECT().Triaged(anyArg, int64(11)).Return(false, nil).Once()

	rep, err := f.triage.One(ctx, 11)
	require.NoError(t, err)
	assert.Equal(t, app.TriageReport{Triaged: 1}, rep)
	assert.Equal(t, c, f.stored[11])
	require.Len(t, f.history, 1, "the decision is recorded even when it changes nothing")
	assert.Empty(t, f.history[0].Changes)
	assert.Contains(t, f.history[0].Note, "category academic kept: chosen by the filer")
	assert.Contains(t, f.history[0].Note, "assignee 2 kept")
	assert.Empty(t, f.events, "no change, no event")
	assert.Empty(t, f.entries)
	assert.Empty(t, f.sent)
}

func TestTriageWithoutStaff(t *testing.T) {
	f := newAgentFixture(t)
	f.filed(t, 11, "Need help", "Nothing matches any rule in this text")
	f.sweeps.EXPECT().Triaged(anyArg, int64(11)).Return(false, nil).Once()
	f.sweeps.EXPECT().LeastLoadedStaff(anyArg).Return(complaint.Assignee{}, fault.New(fault.NotFound, "Active staff member not found")).Once()

	rep, err := f.triage.One(ctx, 11)
	require.NoError(t, err)
	assert.Equal(t, app.TriageReport{Triaged: 1}, rep)
	assert.Nil(t, f.stored[11].AssignedTo)
	require.Len(t, f.history, 1)
	assert.Contains(t, f.history[0].Note, "not assigned: there is no active staff member")
	assert.Empty(t, f.sent)
}

func TestTriageSkips(t *testing.T) {
	t.Run("already triaged", func(t *testing.T) {
		f := newAgentFixture(t)
		orig := f.filed(t, 11, "Heater broken", "The heater is broken")
		f.sweeps.EXPECT().Triaged(anyArg, int64(11)).Return(true, nil).Once()
		rep, err := f.triage.One(ctx, 11)
		require.NoError(t, err)
		assert.Equal(t, app.TriageReport{Skipped: 1}, rep)
		assert.Equal(t, orig, f.stored[11])
		assert.Empty(t, f.history)
		assert.Empty(t, f.sent)
	})
	t.Run("no longer pending", func(t *testing.T) {
		f := newAgentFixture(t)
		c := f.filed(t, 11, "Heater broken", "The heater is broken")
		c.Status = complaint.InProgress
		f.stored[11] = c
		rep, err := f.triage.One(ctx, 11)
		require.NoError(t, err)
		assert.Equal(t, app.TriageReport{Skipped: 1}, rep)
		assert.Empty(t, f.history)
	})
	t.Run("gone", func(t *testing.T) {
		f := newAgentFixture(t)
		rep, err := f.triage.One(ctx, 99)
		require.NoError(t, err)
		assert.Equal(t, app.TriageReport{Skipped: 1}, rep)
	})
}

func TestTriageFailureWritesNothing(t *testing.T) {
	f := newAgentFixture(t)
	f.filed(t, 11, "Heater broken", "The heater is broken")
	f.sweeps.EXPECT().Triaged(anyArg, int64(11)).Return(false, errDB).Once()
	_, err := f.triage.One(ctx, 11)
	require.ErrorIs(t, err, errDB)
	assert.Equal(t, []string{"rollback"}, f.txs)
	assert.Empty(t, f.history)
	assert.Empty(t, f.sent)

	f = newAgentFixture(t)
	f.filed(t, 11, "Heater broken", "The heater is broken")
	f.sweeps.EXPECT().Triaged(anyArg, int64(11)).Return(false, nil).Once()
	f.sweeps.EXPECT().LeastLoadedStaff(anyArg).Return(complaint.Assignee{}, errDB).Once()
	_, err = f.triage.One(ctx, 11)
	require.ErrorIs(t, err, errDB)
	assert.Equal(t, []string{"rollback"}, f.txs)
}

func TestTriageOnEvent(t *testing.T) {
	f := newAgentFixture(t)
	rep, err := f.triage.OnEvent(ctx, jobs.Event{ID: "e1", Type: event.ComplaintChanged, AggregateID: "11"})
	require.NoError(t, err)
	assert.Equal(t, app.TriageReport{}, rep, "not the agent's event")
	for _, bad := range []string{"", "x", "0", "-3", "99999999999999999999"} {
		_, err = f.triage.OnEvent(ctx, jobs.Event{ID: "e1", Type: event.ComplaintFiled, AggregateID: bad})
		assert.Equal(t, fault.Invalid, fault.KindOf(err), bad)
	}
	f.filed(t, 11, "Heater broken", "The heater is broken")
	f.sweeps.EXPECT().Triaged(anyArg, int64(11)).Return(false, nil).Once()
	f.sweeps.EXPECT().LeastLoadedStaff(anyArg).Return(complaint.Assignee{UserID: 4}, nil).Once()
	rep, err = f.triage.OnEvent(ctx, jobs.Event{ID: "e1", Type: event.ComplaintFiled, AggregateID: "11"})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Triaged)
	assert.Equal(t, map[string]int{"triaged": 1, "changed": 1, "assigned": 1, "skipped": 0}, rep.Counts())
}

// TestTriageRunPages walks every untriaged complaint a page at a time and
// carries on past one complaint's failure.
func TestTriageRunPages(t *testing.T) {
	f := newAgentFixture(t)
	first := make([]int64, 200)
	for i := range first {
		first[i] = int64(i + 1) // none stored: each is skipped as gone
	}
	f.filed(t, 300, "Heater broken", "The heater is broken")
	f.filed(t, 301, "Heater broken", "The heater is broken")
	f.sweeps.EXPECT().Untriaged(anyArg, int64(0), 200).Return(first, nil).Once()
	f.sweeps.EXPECT().Untriaged(anyArg, int64(200), 200).Return([]int64{300, 301}, nil).Once()
	f.sweeps.EXPECT().Triaged(anyArg, int64(300)).Return(false, errDB).Once()
	f.sweeps.EXPECT().Triaged(anyArg, int64(301)).Return(false, nil).Once()
	f.sweeps.EXPECT().LeastLoadedStaff(anyArg).Return(complaint.Assignee{UserID: 4}, nil).Once()

	rep, err := f.triage.Run(ctx)
	require.ErrorIs(t, err, errDB)
	assert.ErrorContains(t, err, "complaint 300")
	assert.Equal(t, app.TriageReport{Triaged: 1, Changed: 1, Assigned: 1, Skipped: 200}, rep)
	require.Len(t, f.history, 1)
	assert.Equal(t, int64(301), f.history[0].ComplaintID)
}

func TestTriageRunStopsWhenTheSelectionFails(t *testing.T) {
	f := newAgentFixture(t)
	f.sweeps.EXPECT().Untriaged(anyArg, int64(0), 200).Return(nil, errDB).Once()
	_, err := f.triage.Run(ctx)
	require.ErrorIs(t, err, errDB)
}

// overdue stores a complaint of the priority, past due by an hour.
func (f *agentFixture) overdue(t *testing.T, id int64, p complaint.Priority, assignee *int64) complaint.Complaint {
	t.Helper()
	c := f.filed(t, id, "Heater broken", "The heater is broken")
	c.Priority, c.AssignedTo = p, assignee
	c.DueAt = now.Add(-time.Hour)
	f.stored[id] = c
	return c
}

func TestEscalationRaisesAndNotifiesOnce(t *testing.T) {
	f := newAgentFixture(t)
	staff := int64(4)
	f.overdue(t, 11, complaint.Normal, &staff)
	f.overdue(t, 12, complaint.Urgent, nil)
	f.sweeps.EXPECT().Breached(anyArg, now, int64(0), 200).Return([]int64{11, 12}, nil).Once()
	f.sweeps.EXPECT().ActiveAdmins(anyArg).Return([]int64{1, 4}, nil).Once()

	rep, err := f.escal.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.EscalationReport{Escalated: 2, Raised: 1, Notified: 4}, rep)
	assert.Equal(t, map[string]int{"escalated": 2, "raised": 1, "notified": 4, "skipped": 0}, rep.Counts())
	assert.Equal(t, []string{"commit", "commit"}, f.txs, "one transaction per complaint")

	c := f.stored[11]
	assert.Equal(t, complaint.High, c.Priority)
	assert.Equal(t, now.Add(48*time.Hour), c.DueAt, "counted from now")
	assert.Equal(t, now.Add(-time.Hour), *c.EscalatedDueAt)
	u := f.stored[12]
	assert.Equal(t, complaint.Urgent, u.Priority)
	assert.Equal(t, now.Add(-time.Hour), u.DueAt)
	assert.Equal(t, u.DueAt, *u.EscalatedDueAt)

	require.Len(t, f.history, 2)
	assert.Equal(t, complaint.ActionEscalated, f.history[0].Action)
	assert.Equal(t, complaint.ByAgent, f.history[0].By)
	assert.Equal(t, []string{"priority", "due_at"}, fieldsChanged(f.history[0].Changes))
	assert.Contains(t, f.history[0].Note, "complaint-escalation: overdue since")
	assert.Contains(t, f.history[0].Note, "priority raised from normal to high; due_at recomputed from now")
	assert.Empty(t, f.history[1].Changes)
	assert.Contains(t, f.history[1].Note, "already urgent")

	require.Len(t, f.events, 1, "only the raise changes public fields")
	assert.Equal(t, "complaint-escalation", f.events[0].Payload["agent"])
	require.Len(t, f.entries, 1)

	who := map[string][]int64{}
	for _, n := range f.sent {
		assert.Equal(t, app.KindEscalated, n.Kind)
		who[n.ResourceID] = append(who[n.ResourceID], n.UserID)
	}
	assert.Equal(t, map[string][]int64{"11": {4, 1}, "12": {1, 4}}, who, "the assignee and every admin, each once")
	assert.Equal(t, "Complaint #11 escalated to high", f.sent[0].Title)
	assert.Equal(t, "Complaint #12 is overdue (already urgent)", f.sent[2].Title)
}

func TestEscalationSkipsWhatIsNoLongerBreached(t *testing.T) {
	f := newAgentFixture(t)
	c := f.overdue(t, 11, complaint.Normal, nil)
	due := c.DueAt
	c.EscalatedDueAt = &due // a concurrent run got there first
	f.stored[11] = c
	f.sweeps.EXPECT().Breached(anyArg, now, int64(0), 200).Return([]int64{11, 12}, nil).Once()
	f.sweeps.EXPECT().ActiveAdmins(anyArg).Return([]int64{1}, nil).Once()

	rep, err := f.escal.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.EscalationReport{Skipped: 2}, rep)
	assert.Equal(t, c, f.stored[11])
	assert.Empty(t, f.history)
	assert.Empty(t, f.sent)
}

func TestEscalationNothingBreached(t *testing.T) {
	f := newAgentFixture(t)
	f.sweeps.EXPECT().Breached(anyArg, now, int64(0), 200).Return(nil, nil).Once()
	rep, err := f.escal.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.EscalationReport{}, rep)
	assert.Empty(t, f.txs)
}

func TestEscalationFailures(t *testing.T) {
	t.Run("admins unreadable", func(t *testing.T) {
		f := newAgentFixture(t)
		f.sweeps.EXPECT().Breached(anyArg, now, int64(0), 200).Return([]int64{11}, nil).Once()
		f.sweeps.EXPECT().ActiveAdmins(anyArg).Return(nil, errDB).Once()
		_, err := f.escal.Run(ctx)
		require.ErrorIs(t, err, errDB)
		assert.Empty(t, f.txs)
	})
	t.Run("a failing write rolls the complaint back and stops after a few", func(t *testing.T) {
		f := newAgentFixture(t)
		ids := []int64{}
		for i := int64(1); i <= 8; i++ {
			f.overdue(t, i, complaint.Low, nil)
			ids = append(ids, i)
		}
		f.sweeps.EXPECT().Breached(anyArg, now, int64(0), 200).Return(ids, nil).Once()
		f.sweeps.EXPECT().ActiveAdmins(anyArg).Return([]int64{1}, nil).Once()
		f.notes.ExpectedCalls = nil
		f.notes.EXPECT().Create(anyArg, anyArg).Return(errDB)
		_, err := f.escal.Run(ctx)
		require.ErrorIs(t, err, errDB)
		assert.Len(t, f.txs, 5, "a broken database does not go on")
		for _, tx := range f.txs {
			assert.Equal(t, "rollback", tx)
		}
		assert.Equal(t, complaint.Low, f.stored[8].Priority, "the complaints after the fifth failure are not tried")
	})
}
