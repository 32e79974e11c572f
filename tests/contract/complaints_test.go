package contract_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// TestComplaintRepository runs the complaint repository's contract on
// every database, each case on a fresh one.
func TestComplaintRepository(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *repos, c ports.ComplaintRepository)
	}{
		{"CRUD", testComplaintCRUD},
		{"References", testComplaintReferences},
		{"List", testComplaintList},
		{"UpdateAbort", testComplaintUpdateAbort},
		{"UpdateSerialised", testComplaintUpdateSerialised},
		{"History", testComplaintHistory},
		{"TxRollback", testComplaintTxRollback},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setup(t, s.URL(t))
					c.run(t, r, store.NewComplaintRepository(r.db))
				})
			}
		})
	}
}

func newComplaint(t *testing.T, c ports.ComplaintRepository, studentID int64, mod func(*complaint.Fields)) complaint.Complaint {
	t.Helper()
	f := complaint.Fields{StudentID: studentID, Title: "Broken heater", Description: "Room 12 is freezing cold."}
	if mod != nil {
		mod(&f)
	}
	x, err := complaint.New(f, 1, base)
	require.NoError(t, err)
	require.NoError(t, c.Create(context.Background(), &x))
	require.NotZero(t, x.ID)
	return x
}

func testComplaintCRUD(t *testing.T, r *repos, c ports.ComplaintRepository) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	x := newComplaint(t, c, s.ID, func(f *complaint.Fields) { f.Priority = "urgent"; f.Category = "health" })
	assert.Equal(t, at(0), x.CreatedAt, "times are normalised to microseconds in UTC")
	assert.Equal(t, at(24*time.Hour), x.DueAt)

	got, err := c.Get(ctx, x.ID)
	require.NoError(t, err)
	assert.Equal(t, x, got)
	assert.Equal(t, time.UTC, got.DueAt.Location())

	staff := newUser(t, r, "staff9", identity.RoleStaff, nil)
	_, err = c.Update(ctx, x.ID, func(x *complaint.Complaint) error {
		_, err := x.Apply(complaint.Change{Status: ptr("in_progress"), AssignedTo: ptr(&staff.ID)}, staff.ID, at(time.Hour))
		return err
	})
	require.NoError(t, err)
	updated, err := c.Update(ctx, x.ID, func(x *complaint.Complaint) error {
		_, err := x.Apply(complaint.Change{Status: ptr("resolved"), Resolution: ptr(ptr("Fixed"))}, staff.ID, at(2*time.Hour))
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, complaint.Resolved, updated.Status)
	assert.Equal(t, staff.ID, *updated.AssignedTo)
	assert.Equal(t, at(2*time.Hour), *updated.ResolvedAt)
	assert.Equal(t, staff.ID, *updated.ResolvedBy)
	assert.Equal(t, "Fixed", *updated.Resolution)
	assert.Equal(t, at(2*time.Hour), updated.UpdatedAt)
	assert.Equal(t, x.CreatedAt, updated.CreatedAt)
	got, err = c.Get(ctx, x.ID)
	require.NoError(t, err)
	assert.Equal(t, updated, got)

	_, err = c.Get(ctx, x.ID+100)
	assertKind(t, err, fault.NotFound)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Complaint not found", fe.Message)
	_, err = c.Update(ctx, x.ID+100, func(*complaint.Complaint) error { return nil })
	assertKind(t, err, fault.NotFound)
}

func testComplaintReferences(t *testing.T, r *repos, c ports.ComplaintRepository) {
	ctx := context.Background()
	x, err := complaint.New(complaint.Fields{StudentID: 999, Title: "Orphan complaint", Description: "Nobody files this one."}, 1, base)
	require.NoError(t, err)
	assertKind(t, c.Create(ctx, &x), fault.Invalid)

	s := newStudent(t, r, "CS-001", nil)
	y := newComplaint(t, c, s.ID, nil)
	_, err = c.Update(ctx, y.ID, func(y *complaint.Complaint) error {
		y.AssignedTo = ptr[int64](999)
		return nil
	})
	assertKind(t, err, fault.Invalid)

	// A student with complaints cannot be deleted out from under them.
	err = r.students.Delete(ctx, s.ID)
	require.Error(t, err)
	_, err = c.Get(ctx, y.ID)
	require.NoError(t, err)
}

func testComplaintList(t *testing.T, r *repos, c ports.ComplaintRepository) {
	ctx := context.Background()
	s1 := newStudent(t, r, "CS-001", nil)
	s2 := newStudent(t, r, "CS-002", nil)
	a := newComplaint(t, c, s1.ID, func(f *complaint.Fields) { f.Category, f.Priority = "academic", "urgent" }) // due base+24h
	b := newComplaint(t, c, s1.ID, func(f *complaint.Fields) { f.Priority = "low" })                            // due base+120h
	d := newComplaint(t, c, s2.ID, func(f *complaint.Fields) { f.Category, f.Priority = "academic", "high" })   // due base+48h
	e := newComplaint(t, c, s2.ID, func(f *complaint.Fields) { f.Priority = "urgent" })                         // due base+24h, resolved
	_, err := c.Update(ctx, e.ID, func(x *complaint.Complaint) error {
		x.Status = complaint.Resolved
		return nil
	})
	require.NoError(t, err)
	_, err = c.Update(ctx, d.ID, func(x *complaint.Complaint) error {
		x.Status = complaint.InProgress
		return nil
	})
	require.NoError(t, err)

	ids := func(f complaint.Filter, p page.Request) ([]int64, int) {
		t.Helper()
		res, err := c.List(ctx, f, p)
		require.NoError(t, err)
		out := []int64{}
		for _, x := range res.Items {
			out = append(out, x.ID)
		}
		return out, res.Total
	}
	all := page.Request{Limit: 50}
	got, total := ids(complaint.Filter{}, all)
	assert.Equal(t, []int64{a.ID, b.ID, d.ID, e.ID}, got, "ordered by id")
	assert.Equal(t, 4, total)
	got, total = ids(complaint.Filter{}, page.Request{Limit: 2, Offset: 1})
	assert.Equal(t, []int64{b.ID, d.ID}, got)
	assert.Equal(t, 4, total)

	got, _ = ids(complaint.Filter{Status: complaint.Pending}, all)
	assert.Equal(t, []int64{a.ID, b.ID}, got)
	got, _ = ids(complaint.Filter{Category: complaint.Academic}, all)
	assert.Equal(t, []int64{a.ID, d.ID}, got)
	got, _ = ids(complaint.Filter{Priority: complaint.Urgent}, all)
	assert.Equal(t, []int64{a.ID, e.ID}, got)
	got, _ = ids(complaint.Filter{StudentID: &s2.ID}, all)
	assert.Equal(t, []int64{d.ID, e.ID}, got)
	got, _ = ids(complaint.Filter{OnlyStudent: &s1.ID}, all)
	assert.Equal(t, []int64{a.ID, b.ID}, got)
	got, total = ids(complaint.Filter{OnlyStudent: &s1.ID, StudentID: &s2.ID}, all)
	assert.Empty(t, got, "the own scope is ANDed with the filter")
	assert.Zero(t, total)

	// Overdue: open and past due. At base+48h, a (24h) is; d (48h) is due
	// exactly then and is not yet; e is past due but resolved.
	got, _ = ids(complaint.Filter{Overdue: ptr(true), OverdueAt: at(48 * time.Hour)}, all)
	assert.Equal(t, []int64{a.ID}, got)
	got, _ = ids(complaint.Filter{Overdue: ptr(true), OverdueAt: at(48*time.Hour + time.Microsecond)}, all)
	assert.Equal(t, []int64{a.ID, d.ID}, got)
	got, _ = ids(complaint.Filter{Overdue: ptr(false), OverdueAt: at(48 * time.Hour)}, all)
	assert.Equal(t, []int64{b.ID, d.ID, e.ID}, got)
	got, _ = ids(complaint.Filter{Overdue: ptr(true), OverdueAt: at(200 * time.Hour), Category: complaint.Other}, all)
	assert.Equal(t, []int64{b.ID}, got)
}

func testComplaintUpdateAbort(t *testing.T, r *repos, c ports.ComplaintRepository) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	x := newComplaint(t, c, s.ID, nil)
	boom := fault.New(fault.Conflict, "no")
	_, err := c.Update(ctx, x.ID, func(x *complaint.Complaint) error {
		x.Title = "Changed title"
		return boom
	})
	assert.ErrorIs(t, err, boom)
	got, err := c.Get(ctx, x.ID)
	require.NoError(t, err)
	assert.Equal(t, x, got)
}

// testComplaintUpdateSerialised: concurrent read-modify-writes of one
// complaint lose no update.
func testComplaintUpdateSerialised(t *testing.T, r *repos, c ports.ComplaintRepository) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	x := newComplaint(t, c, s.ID, nil)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Update(ctx, x.ID, func(x *complaint.Complaint) error {
				x.Description += "!"
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := c.Get(ctx, x.ID)
	require.NoError(t, err)
	assert.Equal(t, x.Description+strings.Repeat("!", n), got.Description)
}

func testComplaintHistory(t *testing.T, r *repos, c ports.ComplaintRepository) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	x := newComplaint(t, c, s.ID, nil)
	y := newComplaint(t, c, s.ID, nil)
	h1 := complaint.HistoryEntry{ComplaintID: x.ID, At: base, By: 4, Action: complaint.ActionFiled,
		Changes: []complaint.FieldChange{{Field: "status", From: nil, To: "pending"}}}
	require.NoError(t, c.AppendHistory(ctx, &h1))
	require.NotZero(t, h1.ID)
	other := complaint.HistoryEntry{ComplaintID: y.ID, At: base, By: 4, Action: complaint.ActionFiled, Changes: []complaint.FieldChange{}}
	require.NoError(t, c.AppendHistory(ctx, &other))
	h2 := complaint.HistoryEntry{ComplaintID: x.ID, At: base.Add(time.Hour), By: 5, Action: complaint.ActionChanged, Note: "taking it",
		Changes: []complaint.FieldChange{
			{Field: "assigned_to", From: nil, To: int64(5)},
			{Field: "resolved_by", From: int64(9007199254740993), To: nil},
			{Field: "due_at", From: "2026-11-30T09:30:00Z", To: "2026-11-28T09:30:00Z"},
		}}
	require.NoError(t, c.AppendHistory(ctx, &h2))

	res, err := c.History(ctx, x.ID, page.Request{Limit: 50})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Total)
	require.Len(t, res.Items, 2)
	h1.At = at(0)
	h2.At = at(time.Hour)
	assert.Equal(t, h1, res.Items[0], "oldest first")
	assert.Equal(t, h2, res.Items[1], "ids come back as int64, exactly")

	res, err = c.History(ctx, x.ID, page.Request{Limit: 1, Offset: 1})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Total)
	require.Len(t, res.Items, 1)
	assert.Equal(t, h2.ID, res.Items[0].ID)

	res, err = c.History(ctx, 12345, page.Request{Limit: 5})
	require.NoError(t, err)
	assert.Zero(t, res.Total)
	assert.Empty(t, res.Items)

	bad := complaint.HistoryEntry{ComplaintID: 12345, At: base, By: 1, Action: complaint.ActionChanged}
	assertKind(t, c.AppendHistory(ctx, &bad), fault.Invalid)
}

func testComplaintTxRollback(t *testing.T, r *repos, c ports.ComplaintRepository) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	boom := errors.New("boom")
	var id int64
	err := r.tx.InTx(ctx, func(ctx context.Context) error {
		x, err := complaint.New(complaint.Fields{StudentID: s.ID, Title: "Rolled back", Description: "This never happened."}, 1, base)
		require.NoError(t, err)
		require.NoError(t, c.Create(ctx, &x))
		id = x.ID
		h := complaint.HistoryEntry{ComplaintID: x.ID, At: base, By: 1, Action: complaint.ActionFiled}
		require.NoError(t, c.AppendHistory(ctx, &h))
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = c.Get(ctx, id)
	assertKind(t, err, fault.NotFound)
	res, err := c.History(ctx, id, page.Request{Limit: 5})
	require.NoError(t, err)
	assert.Zero(t, res.Total)
}

// TestComplaintAgentStore runs the contract of the complaint agents'
// set-based reads (and the columns they rely on) on every database.
func TestComplaintAgentStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *repos, c *store.ComplaintRepository)
	}{
		{"AgentColumnsRoundTrip", testComplaintAgentColumns},
		{"Untriaged", testComplaintUntriaged},
		{"LeastLoadedStaff", testComplaintLeastLoadedStaff},
		{"Breached", testComplaintBreached},
		{"ActiveAdmins", testComplaintActiveAdmins},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setup(t, s.URL(t))
					c.run(t, r, store.NewComplaintRepository(r.db))
				})
			}
		})
	}
}

func testComplaintAgentColumns(t *testing.T, r *repos, c *store.ComplaintRepository) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	x := newComplaint(t, c, s.ID, nil)
	assert.True(t, x.CategoryDefaulted)
	assert.True(t, x.PriorityDefaulted)
	assert.Nil(t, x.EscalatedDueAt)
	y := newComplaint(t, c, s.ID, func(f *complaint.Fields) { f.Category = "health" })
	got, err := c.Get(ctx, y.ID)
	require.NoError(t, err)
	assert.False(t, got.CategoryDefaulted)
	assert.True(t, got.PriorityDefaulted)

	updated, err := c.Update(ctx, x.ID, func(x *complaint.Complaint) error {
		_, ok := x.Escalate(x.DueAt.Add(time.Hour))
		require.True(t, ok)
		return nil
	})
	require.NoError(t, err)
	require.NotNil(t, updated.EscalatedDueAt)
	assert.Equal(t, at(72*time.Hour), *updated.EscalatedDueAt, "the breached due time")
	assert.False(t, updated.PriorityDefaulted)
	got, err = c.Get(ctx, x.ID)
	require.NoError(t, err)
	assert.Equal(t, updated, got)
}

func testComplaintUntriaged(t *testing.T, r *repos, c *store.ComplaintRepository) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	a := newComplaint(t, c, s.ID, nil)
	b := newComplaint(t, c, s.ID, nil)
	d := newComplaint(t, c, s.ID, nil) // triaged below
	e := newComplaint(t, c, s.ID, nil) // in progress
	g := newComplaint(t, c, s.ID, nil) // only other history
	for _, h := range []complaint.HistoryEntry{
		{ComplaintID: a.ID, At: base, By: 1, Action: complaint.ActionFiled},
		{ComplaintID: d.ID, At: base, By: complaint.ByAgent, Action: complaint.ActionTriaged, Note: "complaint-triage: done"},
		{ComplaintID: g.ID, At: base, By: 1, Action: complaint.ActionChanged},
		{ComplaintID: g.ID, At: base, By: complaint.ByAgent, Action: complaint.ActionEscalated},
	} {
		require.NoError(t, c.AppendHistory(ctx, &h))
	}
	_, err := c.Update(ctx, e.ID, func(x *complaint.Complaint) error { x.Status = complaint.InProgress; return nil })
	require.NoError(t, err)

	ids, err := c.Untriaged(ctx, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []int64{a.ID, b.ID, g.ID}, ids)
	ids, err = c.Untriaged(ctx, 0, 2)
	require.NoError(t, err)
	assert.Equal(t, []int64{a.ID, b.ID}, ids, "a page")
	ids, err = c.Untriaged(ctx, b.ID, 2)
	require.NoError(t, err)
	assert.Equal(t, []int64{g.ID}, ids, "the next page starts after the last id")
	ids, err = c.Untriaged(ctx, g.ID, 2)
	require.NoError(t, err)
	assert.Empty(t, ids)

	for id, want := range map[int64]bool{a.ID: false, d.ID: true, g.ID: false, 12345: false} {
		got, err := c.Triaged(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, want, got, "complaint %d", id)
	}
	// Inside a transaction the reads see its own writes.
	err = r.tx.InTx(ctx, func(ctx context.Context) error {
		h := complaint.HistoryEntry{ComplaintID: a.ID, At: base, By: complaint.ByAgent, Action: complaint.ActionTriaged}
		require.NoError(t, c.AppendHistory(ctx, &h))
		ok, err := c.Triaged(ctx, a.ID)
		require.NoError(t, err)
		assert.True(t, ok)
		return errors.New("roll back")
	})
	require.Error(t, err)
	ok, err := c.Triaged(ctx, a.ID)
	require.NoError(t, err)
	assert.False(t, ok)
}

func testComplaintLeastLoadedStaff(t *testing.T, r *repos, c *store.ComplaintRepository) {
	ctx := context.Background()
	_, err := c.LeastLoadedStaff(ctx)
	assertKind(t, err, fault.NotFound)

	newUser(t, r, "admin1", identity.RoleAdmin, nil)
	_, err = c.LeastLoadedStaff(ctx)
	assertKind(t, err, fault.NotFound)

	s := newStudent(t, r, "CS-001", nil)
	off := newUser(t, r, "staff0", identity.RoleStaff, func(u *identity.User) { u.IsActive = false })
	s1 := newUser(t, r, "staff1", identity.RoleStaff, nil)
	s2 := newUser(t, r, "staff2", identity.RoleStaff, nil)
	got, err := c.LeastLoadedStaff(ctx)
	require.NoError(t, err)
	assert.Equal(t, complaint.Assignee{UserID: s1.ID, Open: 0}, got, "an inactive account is never chosen; a tie goes to the lowest id")

	assign := func(to int64, status complaint.Status) {
		t.Helper()
		x := newComplaint(t, c, s.ID, nil)
		_, err := c.Update(ctx, x.ID, func(x *complaint.Complaint) error {
			x.AssignedTo, x.Status = &to, status
			return nil
		})
		require.NoError(t, err)
	}
	assign(s1.ID, complaint.Pending)
	got, err = c.LeastLoadedStaff(ctx)
	require.NoError(t, err)
	assert.Equal(t, complaint.Assignee{UserID: s2.ID, Open: 0}, got)

	assign(s2.ID, complaint.InProgress)
	assign(s2.ID, complaint.Resolved) // closed work does not count
	assign(s2.ID, complaint.Closed)
	got, err = c.LeastLoadedStaff(ctx)
	require.NoError(t, err)
	assert.Equal(t, complaint.Assignee{UserID: s1.ID, Open: 1}, got, "1 open each: the lowest id")

	assign(s1.ID, complaint.InProgress)
	assign(off.ID, complaint.Pending)
	got, err = c.LeastLoadedStaff(ctx)
	require.NoError(t, err)
	assert.Equal(t, complaint.Assignee{UserID: s2.ID, Open: 1}, got)
}

func testComplaintBreached(t *testing.T, r *repos, c *store.ComplaintRepository) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	a := newComplaint(t, c, s.ID, func(f *complaint.Fields) { f.Priority = "urgent" }) // due +24h
	b := newComplaint(t, c, s.ID, func(f *complaint.Fields) { f.Priority = "high" })   // due +48h
	d := newComplaint(t, c, s.ID, func(f *complaint.Fields) { f.Priority = "urgent" }) // resolved
	e := newComplaint(t, c, s.ID, func(f *complaint.Fields) { f.Priority = "low" })    // due +120h
	g := newComplaint(t, c, s.ID, func(f *complaint.Fields) { f.Priority = "urgent" }) // in progress
	_, err := c.Update(ctx, d.ID, func(x *complaint.Complaint) error { x.Status = complaint.Resolved; return nil })
	require.NoError(t, err)
	_, err = c.Update(ctx, g.ID, func(x *complaint.Complaint) error { x.Status = complaint.InProgress; return nil })
	require.NoError(t, err)

	breached := func(now time.Time, after int64, limit int) []int64 {
		t.Helper()
		ids, err := c.Breached(ctx, now, after, limit)
		require.NoError(t, err)
		return ids
	}
	assert.Empty(t, breached(at(24*time.Hour), 0, 10), "due exactly now is not overdue")
	assert.Equal(t, []int64{a.ID, g.ID}, breached(at(24*time.Hour+time.Microsecond), 0, 10))
	assert.Equal(t, []int64{a.ID, b.ID, g.ID}, breached(at(100*time.Hour), 0, 10))
	assert.Equal(t, []int64{a.ID, b.ID}, breached(at(100*time.Hour), 0, 2))
	assert.Equal(t, []int64{g.ID}, breached(at(100*time.Hour), b.ID, 2))

	// Escalating a's breach (urgent: due_at stays) takes it out for good;
	// b's escalation moves its due time, so it returns once that passes.
	now := at(100 * time.Hour)
	for _, id := range []int64{a.ID, b.ID} {
		_, err := c.Update(ctx, id, func(x *complaint.Complaint) error {
			_, ok := x.Escalate(now)
			require.True(t, ok)
			return nil
		})
		require.NoError(t, err)
	}
	assert.Equal(t, []int64{g.ID}, breached(now, 0, 10))
	assert.Equal(t, []int64{e.ID, g.ID}, breached(now.Add(23*time.Hour), 0, 10), "b now due in 24 h; e due at +120h")
	assert.Equal(t, []int64{b.ID, e.ID, g.ID}, breached(now.Add(24*time.Hour+time.Microsecond), 0, 10), "b's new breach")

	// A due time set directly (as the e2e tests do) compares the same way.
	past := time.Now().UTC().Add(-time.Hour)
	_, err = r.db.Bun().NewUpdate().Table("complaints").Set("due_at = ?", past).Where("id = ?", a.ID).Exec(ctx)
	require.NoError(t, err)
	assert.Contains(t, breached(time.Now(), 0, 10), a.ID, "a new due time is a new breach")
}

func testComplaintActiveAdmins(t *testing.T, r *repos, c *store.ComplaintRepository) {
	ctx := context.Background()
	ids, err := c.ActiveAdmins(ctx)
	require.NoError(t, err)
	assert.Empty(t, ids)
	a1 := newUser(t, r, "admin1", identity.RoleAdmin, nil)
	newUser(t, r, "admin2", identity.RoleAdmin, func(u *identity.User) { u.IsActive = false })
	newUser(t, r, "staff1", identity.RoleStaff, nil)
	a3 := newUser(t, r, "admin3", identity.RoleAdmin, nil)
	ids, err = c.ActiveAdmins(ctx)
	require.NoError(t, err)
	assert.Equal(t, []int64{a1.ID, a3.ID}, ids)
}
