package contract_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/schedule"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// TestScheduleRepository runs the schedule repository's contract on every
// database, each case on a fresh one.
func TestScheduleRepository(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *repos, s ports.ScheduleRepository)
	}{
		{"CRUD", testScheduleCRUD},
		{"List", testScheduleList},
		{"Overlapping", testScheduleOverlapping},
		{"Active", testScheduleActive},
		{"UpdateAbort", testScheduleUpdateAbort},
		{"ClashCheckSerialised", testScheduleClashCheckSerialised},
	}
	for _, st := range testenv.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setup(t, st.URL(t))
					c.run(t, r, store.NewScheduleRepository(r.db))
				})
			}
		})
	}
}

// slot is a day at 09:00 UTC plus from..to hours.
var slot = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newEntry(t *testing.T, s ports.ScheduleRepository, from, to time.Duration, mod func(*schedule.Fields)) schedule.Entry {
	t.Helper()
	f := schedule.Fields{Title: "Entry", EventType: "class", StartsAt: slot.Add(from), EndsAt: slot.Add(to)}
	if mod != nil {
		mod(&f)
	}
	e, err := schedule.New(f)
	require.NoError(t, err)
	e.CreatedAt, e.UpdatedAt = base, base
	require.NoError(t, s.Create(context.Background(), &e))
	require.NotZero(t, e.ID)
	return e
}

func entryIDs(es []schedule.Entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func testScheduleCRUD(t *testing.T, _ *repos, s ports.ScheduleRepository) {
	ctx := context.Background()
	e := newEntry(t, s, 0, time.Hour+time.Nanosecond*1500, func(f *schedule.Fields) {
		f.Location, f.Instructor, f.Department, f.Semester, f.Section = "Hall A", "Dr. Rao", "CSE", ptr(3), "A"
	})
	assert.Equal(t, slot.Add(time.Hour+time.Microsecond), e.EndsAt, "times are normalised to microseconds")
	assert.Equal(t, at(0), e.CreatedAt)
	got, err := s.Get(ctx, e.ID)
	require.NoError(t, err)
	assert.Equal(t, e, got)
	assert.Equal(t, time.UTC, got.StartsAt.Location())

	updated, err := s.Update(ctx, e.ID, func(x *schedule.Entry) error {
		x.UpdatedAt = at(time.Hour)
		return x.Apply(schedule.Patch{Location: ptr(""), Semester: ptr((*int)(nil)), IsActive: ptr(false)})
	})
	require.NoError(t, err)
	assert.Equal(t, "", updated.Location)
	assert.Nil(t, updated.Semester)
	assert.False(t, updated.IsActive)
	assert.Equal(t, at(time.Hour), updated.UpdatedAt)
	assert.Equal(t, e.CreatedAt, updated.CreatedAt)
	got, err = s.Get(ctx, e.ID)
	require.NoError(t, err)
	assert.Equal(t, updated, got)

	require.NoError(t, s.Delete(ctx, e.ID))
	_, err = s.Get(ctx, e.ID)
	assertKind(t, err, fault.NotFound)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Schedule entry not found", fe.Message)
	assertKind(t, s.Delete(ctx, e.ID), fault.NotFound)
	_, err = s.Update(ctx, e.ID, func(*schedule.Entry) error { return nil })
	assertKind(t, err, fault.NotFound)
}

func testScheduleList(t *testing.T, _ *repos, s ports.ScheduleRepository) {
	ctx := context.Background()
	h := time.Hour
	a := newEntry(t, s, 0, h, func(f *schedule.Fields) {
		f.Location, f.Department, f.Semester, f.Section = "Hall A", "CSE", ptr(3), "A"
	})
	b := newEntry(t, s, h, 2*h, func(f *schedule.Fields) { f.Location, f.EventType = " hall a", "exam" })
	c := newEntry(t, s, 24*h, 25*h, func(f *schedule.Fields) { f.Department, f.Semester, f.Section = "CSE", ptr(4), "A" })
	d := newEntry(t, s, 48*h, 49*h, func(f *schedule.Fields) { f.IsActive = ptr(false); f.EventType = "holiday" })

	list := func(f schedule.Filter, p page.Request) ([]int64, int) {
		t.Helper()
		res, err := s.List(ctx, f, p)
		require.NoError(t, err)
		return entryIDs(res.Items), res.Total
	}
	all := page.Request{Limit: 50}
	got, total := list(schedule.Filter{}, all)
	assert.Equal(t, []int64{a.ID, b.ID, c.ID, d.ID}, got)
	assert.Equal(t, 4, total)
	got, total = list(schedule.Filter{}, page.Request{Limit: 2, Offset: 2})
	assert.Equal(t, []int64{c.ID, d.ID}, got)
	assert.Equal(t, 4, total)

	got, _ = list(schedule.Filter{Location: "HALL A "}, all)
	assert.Equal(t, []int64{a.ID, b.ID}, got, "location ignores case and spaces")
	got, _ = list(schedule.Filter{EventType: schedule.Exam}, all)
	assert.Equal(t, []int64{b.ID}, got)
	got, _ = list(schedule.Filter{Department: "CSE", Section: "A"}, all)
	assert.Equal(t, []int64{a.ID, c.ID}, got)
	got, _ = list(schedule.Filter{Semester: ptr(4)}, all)
	assert.Equal(t, []int64{c.ID}, got)
	got, _ = list(schedule.Filter{Active: ptr(false)}, all)
	assert.Equal(t, []int64{d.ID}, got)
	got, _ = list(schedule.Filter{Active: ptr(true)}, all)
	assert.Equal(t, []int64{a.ID, b.ID, c.ID}, got)

	// [from, to] keeps entries with a moment in the window: an entry ending
	// exactly at from has none; one starting exactly at to has one.
	from, to := slot.Add(h), slot.Add(24*h)
	got, _ = list(schedule.Filter{From: &from}, all)
	assert.Equal(t, []int64{b.ID, c.ID, d.ID}, got)
	got, _ = list(schedule.Filter{To: &to}, all)
	assert.Equal(t, []int64{a.ID, b.ID, c.ID}, got)
	got, _ = list(schedule.Filter{From: &from, To: &to}, all)
	assert.Equal(t, []int64{b.ID, c.ID}, got)
}

func testScheduleOverlapping(t *testing.T, r *repos, s ports.ScheduleRepository) {
	ctx := context.Background()
	h := time.Hour
	a := newEntry(t, s, 0, h, nil)
	b := newEntry(t, s, h, 2*h, nil)                                                  // touches a
	c := newEntry(t, s, 30*time.Minute, 90*time.Minute, nil)                          // overlaps a and b
	newEntry(t, s, 0, 2*h, func(f *schedule.Fields) { f.IsActive = ptr(false) })      // inactive
	newEntry(t, s, 24*h, 25*h, func(f *schedule.Fields) { f.Location = "Elsewhere" }) // another day

	probe := func(e schedule.Entry) []int64 {
		t.Helper()
		var out []schedule.Entry
		// Called in a transaction, as the use cases do (and must, for the lock).
		require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error {
			var err error
			out, err = s.Overlapping(ctx, e)
			return err
		}))
		return entryIDs(out)
	}
	assert.Equal(t, []int64{c.ID}, probe(a), "neither itself, nor the touching b, nor the inactive one")
	assert.Equal(t, []int64{c.ID}, probe(b))
	assert.Equal(t, []int64{a.ID, b.ID}, probe(c))
	fresh := schedule.Entry{StartsAt: slot, EndsAt: slot.Add(2 * h), IsActive: true}
	assert.Equal(t, []int64{a.ID, b.ID, c.ID}, probe(fresh), "a new entry (id 0) against all")
	after := schedule.Entry{StartsAt: slot.Add(2 * h), EndsAt: slot.Add(3 * h), IsActive: true}
	assert.Empty(t, probe(after))
}

func testScheduleActive(t *testing.T, _ *repos, s ports.ScheduleRepository) {
	ctx := context.Background()
	h := time.Hour
	a := newEntry(t, s, 0, h, nil)
	newEntry(t, s, 0, h, func(f *schedule.Fields) { f.IsActive = ptr(false) })
	c := newEntry(t, s, 24*h, 25*h, nil)
	got, err := s.Active(ctx, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []int64{a.ID, c.ID}, entryIDs(got))
	from := slot.Add(h)
	got, err = s.Active(ctx, &from, nil)
	require.NoError(t, err)
	assert.Equal(t, []int64{c.ID}, entryIDs(got))
	to := slot.Add(h)
	got, err = s.Active(ctx, nil, &to)
	require.NoError(t, err)
	assert.Equal(t, []int64{a.ID}, entryIDs(got))
}

func testScheduleUpdateAbort(t *testing.T, _ *repos, s ports.ScheduleRepository) {
	ctx := context.Background()
	e := newEntry(t, s, 0, time.Hour, nil)
	boom := fault.New(fault.Conflict, "clash")
	_, err := s.Update(ctx, e.ID, func(x *schedule.Entry) error {
		x.Title = "Changed"
		return boom
	})
	assert.ErrorIs(t, err, boom)
	got, err := s.Get(ctx, e.ID)
	require.NoError(t, err)
	assert.Equal(t, e, got)
}

// testScheduleClashCheckSerialised: writers that each check Overlapping
// and then create in one transaction, all for the same room at the same
// time, end with exactly one entry; the others saw it.
func testScheduleClashCheckSerialised(t *testing.T, r *repos, s ports.ScheduleRepository) {
	ctx := context.Background()
	const n = 6
	var created, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			e, err := schedule.New(schedule.Fields{Title: "Race", EventType: "exam", StartsAt: slot, EndsAt: slot.Add(time.Hour), Location: "Hall A"})
			if err != nil {
				errs <- err
				return
			}
			errs <- r.tx.InTx(ctx, func(ctx context.Context) error {
				others, err := s.Overlapping(ctx, e)
				if err != nil {
					return err
				}
				if len(schedule.Clashes(e, others)) > 0 {
					refused.Add(1)
					return nil
				}
				// Widen the window between check and write.
				time.Sleep(20 * time.Millisecond)
				created.Add(1)
				return s.Create(ctx, &e)
			})
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), created.Load())
	assert.Equal(t, int32(n-1), refused.Load())
	res, err := s.List(ctx, schedule.Filter{}, page.Request{Limit: 50})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Total)
}
