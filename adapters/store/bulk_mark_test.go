package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/adapters/system"
	app "github.com/campus/campus/application/attendance"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/tests/testenv"
)

// bulkEnv is a migrated database with students, a staff user and the
// attendance use cases over the real repositories: the bulk mark as
// POST /attendance/bulk runs it, minus HTTP.
type bulkEnv struct {
	db       *store.DB
	svc      *app.Service
	records  *store.AttendanceRepository
	roster   *store.Roster
	outbox   *store.Outbox
	tx       *store.TxRunner
	staff    identity.Actor
	students []int64
}

// newBulkEnv opens url, migrates it and adds n students.
func newBulkEnv(tb testing.TB, url string, n int) *bulkEnv {
	tb.Helper()
	ctx := context.Background()
	db, cleanup, err := store.Open(ctx, store.Config{URL: url, PoolSize: 5, MaxOverflow: 5})
	require.NoError(tb, err)
	tb.Cleanup(cleanup)
	require.NoError(tb, store.Migrate(ctx, db))

	staff := newStaff(tb, db, "marker")

	ss := make([]student.Student, n)
	for i := range ss {
		s, err := student.New(student.Fields{Name: fmt.Sprintf("Student %d", i), RollNo: fmt.Sprintf("BULK-%05d", i),
			Department: "CSE", Semester: 1 + i%8, Section: "A"})
		require.NoError(tb, err)
		ss[i] = s
	}
	ids, err := store.NewDemoStore(db).InsertStudents(ctx, ss)
	require.NoError(tb, err)
	require.Len(tb, ids, n)

	e := &bulkEnv{db: db, records: store.NewAttendanceRepository(db), roster: store.NewRoster(db),
		outbox: store.NewOutbox(db), tx: store.NewTxRunner(db), students: ids,
		staff: staff}
	e.svc = app.NewService(app.Config{}, app.Deps{Repo: e.records, CheckIns: store.NewCheckInRepository(db), Roster: e.roster,
		Students: store.NewStudentRepository(db), Audit: store.NewAuditLog(db), Tx: e.tx, Clock: system.NewClock(),
		Outbox: e.outbox, IDs: system.NewIDs()})
	return e
}

// newStaff adds a staff user named name and returns them as an actor.
func newStaff(tb testing.TB, db *store.DB, name string) identity.Actor {
	tb.Helper()
	u, err := identity.NewUser(name, name+"@campus.edu", name, identity.RoleStaff)
	require.NoError(tb, err)
	u.PasswordHash = "$2a$12$hash-of-" + name
	require.NoError(tb, store.NewUserRepository(db).Create(context.Background(), &u))
	return identity.Actor{UserID: u.ID, Username: u.Username, Role: identity.RoleStaff}
}

// fields is a bulk call marking ids on date: status(i) for the i-th.
func bulkFields(date string, ids []int64, status func(i int) string) attendance.BatchFields {
	f := attendance.BatchFields{Date: date, Session: "daily", Records: make([]attendance.EntryFields, len(ids))}
	for i, id := range ids {
		f.Records[i] = attendance.EntryFields{StudentID: id, Status: status(i)}
	}
	return f
}

// BenchmarkBulkMark is POST /attendance/bulk's work below HTTP for 10 000
// new records: the students' existence, the upsert, 10 000 outbox events
// and the audit entry, in one transaction, on a fresh day each time.
// Compare with the load tool's COPY baseline (tests/load/bulk.go).
func BenchmarkBulkMark(b *testing.B) {
	const n = 10000
	for _, s := range testenv.Stores() {
		b.Run(s.Name, func(b *testing.B) {
			e := newBulkEnv(b, s.URL(b), n)
			ctx := context.Background()
			day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
			status := func(i int) string {
				if i%10 == 0 {
					return "absent"
				}
				return "present"
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := e.svc.Bulk(ctx, e.staff, bulkFields(day.AddDate(0, 0, i).Format(time.DateOnly), e.students, status))
				if err != nil {
					b.Fatal(err)
				}
				if res.Created != n {
					b.Fatalf("created %d of %d", res.Created, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// marked is what a bulk call left behind: the records of its day (by
// student), the outbox events it appended and the bulk audit entries.
type marked struct {
	records map[int64]attendance.Record
	events  []event.Event
	audits  []audit.Entry
}

// state reads the records of date, the events after the first skip, and
// the audit entries of bulk marks.
func (e *bulkEnv) state(t *testing.T, date string, skip int) marked {
	t.Helper()
	ctx := context.Background()
	d, err := attendance.ParseDate(date)
	require.NoError(t, err)
	m := marked{records: map[int64]attendance.Record{}}
	for off := 0; ; {
		res, err := e.records.List(ctx, attendance.Filter{From: &d, To: &d}, page.Request{Limit: 500, Offset: off})
		require.NoError(t, err)
		for _, r := range res.Items {
			m.records[r.StudentID] = r
		}
		off += len(res.Items)
		if len(res.Items) == 0 || off >= res.Total {
			break
		}
	}
	pending, err := e.outbox.Pending(ctx, 1<<20)
	require.NoError(t, err)
	if skip < len(pending) {
		m.events = pending[skip:]
	}
	entries, err := store.NewAuditLog(e.db).List(ctx, audit.Filter{Action: "bulk_mark"}, page.Request{Limit: 100})
	require.NoError(t, err)
	m.audits = entries.Items
	return m
}

// pendingEvents counts the outbox's pending events.
func (e *bulkEnv) pendingEvents(t *testing.T) int {
	t.Helper()
	pending, err := e.outbox.Pending(context.Background(), 1<<20)
	require.NoError(t, err)
	return len(pending)
}

// byStudent indexes attendance.marked events by student.
func byStudent(t *testing.T, events []event.Event) map[int64]event.Event {
	t.Helper()
	out := map[int64]event.Event{}
	for _, ev := range events {
		require.Equal(t, event.AttendanceMarked, ev.Type)
		id, ok := ev.Payload["student_id"].(float64)
		require.True(t, ok, "student_id in %v", ev.Payload)
		_, dup := out[int64(id)]
		require.False(t, dup, "one event per student and call")
		out[int64(id)] = ev
	}
	return out
}

func statusOf(statuses ...string) func(int) string { return func(i int) string { return statuses[i] } }

// TestBulkMarkUpserts: a bulk call creates what is new, overwrites what
// exists, and appends one attendance.marked event per record created or
// changed (none for a re-mark with the same values), with the record's
// fields, "created" and, when the status changed, "previous_status".
func TestBulkMarkUpserts(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			e := newBulkEnv(t, s.URL(t), 6)
			ctx := context.Background()
			ids := e.students

			res, err := e.svc.Bulk(ctx, e.staff, bulkFields("2026-11-27", ids[:5], statusOf("present", "present", "late", "absent", "excused")))
			require.NoError(t, err)
			assert.Equal(t, app.BulkResult{Created: 5}, res)
			first := e.state(t, "2026-11-27", 0)
			require.Equal(t, 5, len(first.records))
			require.Len(t, first.events, 5)
			evs := byStudent(t, first.events)
			for i, id := range ids[:5] {
				r := first.records[id]
				assert.Equal(t, []string{"present", "present", "late", "absent", "excused"}[i], string(r.Status))
				assert.Equal(t, &e.staff.UserID, r.MarkedBy)
				assert.Equal(t, r.CreatedAt, r.UpdatedAt)
				assert.Equal(t, map[string]any{"id": float64(r.ID), "student_id": float64(id), "date": "2026-11-27", "session": "daily",
					"status": string(r.Status), "remarks": "", "marked_by": float64(e.staff.UserID), "created": true}, evs[id].Payload)
				assert.Equal(t, fmt.Sprint(r.ID), evs[id].AggregateID)
				assert.Equal(t, "attendance", evs[id].Aggregate)
				assert.Equal(t, r.UpdatedAt, evs[id].OccurredAt, "the event occurred when the record was written")
			}

			// Again, by someone else: ids[1] absent now, ids[2] with remarks,
			// ids[5] new, the rest the same.
			other := newStaff(t, e.db, "other-marker")
			again := bulkFields("2026-11-27", ids, statusOf("present", "absent", "late", "absent", "excused", "late"))
			again.Records[2].Remarks = "bus"
			res, err = e.svc.Bulk(ctx, other, again)
			require.NoError(t, err)
			assert.Equal(t, app.BulkResult{Created: 1, Updated: 5}, res)
			second := e.state(t, "2026-11-27", 5)
			require.Equal(t, 6, len(second.records))
			evs = byStudent(t, second.events)
			require.Len(t, evs, 3, "ids[1] changed status, ids[2] remarks, ids[5] is new: %v", second.events)
			assert.Equal(t, "present", evs[ids[1]].Payload["previous_status"])
			assert.Equal(t, false, evs[ids[1]].Payload["created"])
			assert.Equal(t, "absent", evs[ids[1]].Payload["status"])
			assert.NotContains(t, evs[ids[2]].Payload, "previous_status", "the status did not change")
			assert.Equal(t, "bus", evs[ids[2]].Payload["remarks"])
			assert.Equal(t, true, evs[ids[5]].Payload["created"])
			for i, id := range ids[:5] {
				before, after := first.records[id], second.records[id]
				assert.Equal(t, before.ID, after.ID, "an overwrite keeps the record")
				assert.Equal(t, before.CreatedAt, after.CreatedAt, "and its created_at")
				// Every record of the call is overwritten, changed or not: it
				// was marked again, by whoever marked it last, when they did.
				assert.True(t, after.UpdatedAt.After(before.UpdatedAt), "record %d: updated_at %v, before %v", i, after.UpdatedAt, before.UpdatedAt)
			}
			for _, id := range ids {
				assert.Equal(t, &other.UserID, second.records[id].MarkedBy, "student %d: the last marker", id)
			}
			assert.Equal(t, second.records[ids[5]].CreatedAt, second.records[ids[5]].UpdatedAt)
			for id, ev := range evs {
				assert.Equal(t, float64(second.records[id].ID), ev.Payload["id"])
				assert.Equal(t, float64(other.UserID), ev.Payload["marked_by"])
				assert.Equal(t, second.records[id].UpdatedAt, ev.OccurredAt, "the event occurred when the record was written")
			}
			assert.Equal(t, attendance.Absent, second.records[ids[1]].Status)
			assert.Equal(t, "bus", second.records[ids[2]].Remarks)

			// A re-mark with the same values changes nothing a reader sees: no event.
			res, err = e.svc.Bulk(ctx, other, again)
			require.NoError(t, err)
			assert.Equal(t, app.BulkResult{Updated: 6}, res)
			third := e.state(t, "2026-11-27", 8)
			assert.Empty(t, third.events)
			for id, r := range second.records {
				assert.Equal(t, r.Status, third.records[id].Status)
				assert.Equal(t, r.ID, third.records[id].ID)
			}
			require.Len(t, third.audits, 3, "one audit entry per call")
		})
	}
}

// TestBulkMarkRefusesAll: unknown students and a student twice refuse the
// whole call, and nothing is written: no record, no event, no audit entry.
func TestBulkMarkRefusesAll(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			e := newBulkEnv(t, s.URL(t), 100)
			ctx := context.Background()
			ids := e.students
			// Half the class is marked already: a refused call leaves it as it was.
			_, err := e.svc.Bulk(ctx, e.staff, bulkFields("2026-11-27", ids[:50], func(int) string { return "present" }))
			require.NoError(t, err)
			before := e.state(t, "2026-11-27", 0)
			absent := func(int) string { return "absent" }

			unknown := append(append([]int64{}, ids...), ids[99]+1000, ids[99]+1001)
			_, err = e.svc.Bulk(ctx, e.staff, bulkFields("2026-11-27", unknown, absent))
			var fe *fault.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, fault.Invalid, fe.Kind)
			require.Len(t, fe.Fields, 2, "both unknown students are named")
			assert.Equal(t, "records[100].student_id", fe.Fields[0].Field)
			assert.Equal(t, "records[101].student_id", fe.Fields[1].Field)

			dup := append(append([]int64{}, ids...), ids[60])
			_, err = e.svc.Bulk(ctx, e.staff, bulkFields("2026-11-27", dup, absent))
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, fault.Invalid, fe.Kind)
			assert.Equal(t, "records[100].student_id", fe.Fields[0].Field)

			after := e.state(t, "2026-11-27", 0)
			assert.Equal(t, before.records, after.records, "nothing written")
			assert.Len(t, after.events, len(before.events))
			assert.Len(t, after.audits, 1)
		})
	}
}

// TestBulkMark10000: the largest call there is, half of it over records
// that exist, gives the right counts, records and events on both stores.
func TestBulkMark10000(t *testing.T) {
	const n = attendance.MaxBatch
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			e := newBulkEnv(t, s.URL(t), n)
			ctx := context.Background()
			ids := e.students
			res, err := e.svc.Bulk(ctx, e.staff, bulkFields("2026-11-27", ids[:n/2], func(int) string { return "present" }))
			require.NoError(t, err)
			assert.Equal(t, app.BulkResult{Created: n / 2}, res)
			require.Equal(t, n/2, e.pendingEvents(t))

			// Every tenth student absent now: those that existed change.
			status := func(i int) string {
				if i%10 == 0 {
					return "absent"
				}
				return "present"
			}
			res, err = e.svc.Bulk(ctx, e.staff, bulkFields("2026-11-27", ids, status))
			require.NoError(t, err)
			assert.Equal(t, app.BulkResult{Created: n / 2, Updated: n / 2}, res)
			got := e.state(t, "2026-11-27", n/2)
			require.Equal(t, n, len(got.records))
			evs := byStudent(t, got.events)
			assert.Len(t, evs, n/2+n/2/10, "every new record, and the existing ones whose status changed")
			for i, id := range ids {
				r := got.records[id]
				require.Equal(t, status(i), string(r.Status), "student %d", i)
				ev, ok := evs[id]
				switch {
				case i >= n/2:
					require.True(t, ok)
					require.Equal(t, true, ev.Payload["created"])
				case i%10 == 0:
					require.True(t, ok)
					require.Equal(t, "present", ev.Payload["previous_status"])
				default:
					require.False(t, ok, "student %d was re-marked with the same status", i)
				}
				if ok {
					require.Equal(t, float64(r.ID), ev.Payload["id"])
				}
			}
			c, err := e.records.Count(ctx, attendance.Filter{})
			require.NoError(t, err)
			assert.Equal(t, attendance.Counts{attendance.Present: n - n/10, attendance.Absent: n / 10}, c)
		})
	}
}

// TestRosterMissingMany: among thousands of ids, with repeats, Missing
// names each unknown one once, ascending.
func TestRosterMissingMany(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			e := newBulkEnv(t, s.URL(t), 3000)
			ctx := context.Background()
			last := e.students[len(e.students)-1]
			ids := append([]int64{last + 9, last + 2}, e.students...)
			ids = append(ids, e.students[:100]...)
			ids = append(ids, last+2, -1, last+1)
			missing, err := e.roster.Missing(ctx, ids)
			require.NoError(t, err)
			assert.Equal(t, []int64{-1, last + 1, last + 2, last + 9}, missing)
			missing, err = e.roster.Missing(ctx, e.students)
			require.NoError(t, err)
			assert.Empty(t, missing)
		})
	}
}

// TestUpsertRefusesAStudentTwice: the repository itself refuses a batch
// naming a student twice, large or small, before writing anything.
func TestUpsertRefusesAStudentTwice(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			e := newBulkEnv(t, s.URL(t), 100)
			ctx := context.Background()
			_, err := e.svc.Bulk(ctx, e.staff, bulkFields("2026-11-27", e.students[:1], func(int) string { return "late" }))
			require.NoError(t, err)
			before := e.state(t, "2026-11-27", 0)
			d, err := attendance.ParseDate("2026-11-27")
			require.NoError(t, err)
			for _, entries := range [][]int64{
				{e.students[1], e.students[0], e.students[1]},
				append(append([]int64{}, e.students...), e.students[0]),
			} {
				b := attendance.Batch{Date: d, Session: "daily"}
				for _, id := range entries {
					b.Entries = append(b.Entries, attendance.Entry{StudentID: id, Status: attendance.Absent})
				}
				err := e.tx.InTx(ctx, func(ctx context.Context) error {
					_, err := e.records.Upsert(ctx, b, &e.staff.UserID, time.Now())
					return err
				})
				assert.Equal(t, fault.Invalid, fault.KindOf(err), "%v", err)
			}
			after := e.state(t, "2026-11-27", 0)
			assert.Equal(t, before.records, after.records)
		})
	}
}

// TestOutboxStoresPayloadText: whichever way events are appended (one,
// several alike as a bulk mark makes them, several of different kinds),
// each row stores its payload as encoding/json writes it, "{}" for none.
func TestOutboxStoresPayloadText(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	payload := func(i int) map[string]any {
		return map[string]any{"id": int64(i), "name": "<Tom & Jerry> \"quoted\" café\u2028", "n": nil, "ok": i%2 == 0,
			"nested": map[string]any{"list": []any{1.5, "x"}}}
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			e := newBulkEnv(t, s.URL(t), 0)
			ctx := context.Background()
			var alike, mixed []event.Event
			for i := 0; i < 5; i++ {
				alike = append(alike, event.New(fmt.Sprintf("alike-%d", i), event.AttendanceMarked, "attendance", fmt.Sprint(i), at, payload(i)))
				mixed = append(mixed, event.New(fmt.Sprintf("mixed-%d", i), event.AttendanceMarked, "attendance", fmt.Sprint(i), at.Add(time.Duration(i)*time.Second), payload(i)))
			}
			mixed[1].Type, mixed[2].Aggregate, mixed[3].Payload = event.StudentCreated, "student", nil
			one := event.New("one", event.ComplaintFiled, "complaint", "1", at, payload(9))
			require.NoError(t, e.tx.InTx(ctx, func(ctx context.Context) error {
				if err := e.outbox.Append(ctx, alike...); err != nil {
					return err
				}
				if err := e.outbox.Append(ctx, mixed...); err != nil {
					return err
				}
				return e.outbox.Append(ctx, one)
			}))
			pending, err := e.outbox.Pending(ctx, 100)
			require.NoError(t, err)
			all := append(append(append([]event.Event{}, alike...), mixed...), one)
			require.Len(t, pending, len(all))
			for i, want := range all {
				got := pending[i]
				assert.Equal(t, want.ID, got.ID)
				assert.Equal(t, want.Type, got.Type)
				assert.Equal(t, want.Aggregate, got.Aggregate)
				assert.Equal(t, want.AggregateID, got.AggregateID)
				assert.Equal(t, want.OccurredAt, got.OccurredAt)
				wantText := "{}"
				if want.Payload != nil {
					b, err := json.Marshal(want.Payload)
					require.NoError(t, err)
					wantText = string(b)
				}
				var text string
				require.NoError(t, e.db.Bun().QueryRowContext(ctx, "SELECT payload FROM outbox_events WHERE id = ?", want.ID).Scan(&text))
				assert.Equal(t, wantText, text, "event %s", want.ID)
			}
		})
	}
}
