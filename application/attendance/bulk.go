package attendance

import (
	"context"
	"fmt"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/identity"
)

// eventChunk is how many outbox rows one insert carries during a bulk
// mark: 10 000 events go in ten statements, not 10 000.
const eventChunk = 1000

// actionBulkMark is the audit action of a bulk upsert.
const actionBulkMark = "bulk_mark"

// BulkResult counts what a bulk mark did.
type BulkResult struct {
	Created int
	Updated int
}

// Bulk upserts a class's attendance for one day and session in one
// transaction: every record is created or overwritten, or, when any
// student is unknown, none is.
func (s *Service) Bulk(ctx context.Context, a identity.Actor, f attendance.BatchFields) (BulkResult, error) {
	if _, err := identity.Can(a, identity.MarkAttendance); err != nil {
		return BulkResult{}, err
	}
	now := s.d.Clock.Now()
	b, err := attendance.NewBatch(f, s.Day(now))
	if err != nil {
		return BulkResult{}, err
	}
	ids := make([]int64, len(b.Entries))
	index := make(map[int64]int, len(b.Entries))
	for i, e := range b.Entries {
		ids[i], index[e.StudentID] = e.StudentID, i
	}
	var res BulkResult
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		missing, err := s.d.Roster.Missing(ctx, ids)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return attendance.UnknownStudents(missing, func(id int64) (int, bool) { i, ok := index[id]; return i, ok })
		}
		ups, err := s.d.Repo.Upsert(ctx, b, userID(a), now)
		if err != nil {
			return err
		}
		events := make([]event.Event, 0, len(ups))
		// The audit entry stays compact whatever the batch size: one
		// [student_id, status] pair per created record and one
		// [student_id, previous, new] triple per changed one. The full
		// records travel in the attendance.marked events.
		created, changed := [][]any{}, [][]any{}
		for _, u := range ups {
			if u.Created {
				res.Created++
			} else {
				res.Updated++
			}
			if !u.Changed() {
				continue
			}
			events = append(events, s.marked(now, u))
			if u.Previous != nil {
				changed = append(changed, []any{u.Record.StudentID, string(u.Previous.Status), string(u.Record.Status)})
			} else {
				created = append(created, []any{u.Record.StudentID, string(u.Record.Status)})
			}
		}
		if err := s.appendChunked(ctx, events); err != nil {
			return err
		}
		entry := audit.By(a, now, actionBulkMark, resource, b.Date.String()+"/"+b.Session).Change(nil,
			map[string]any{"date": b.Date.String(), "session": b.Session, "created": res.Created, "updated": res.Updated,
				"created_records": created, "changed_records": changed})
		return s.d.Audit.Record(ctx, entry)
	})
	if err != nil {
		return BulkResult{}, err
	}
	return res, nil
}

// appendChunked writes events to the outbox eventChunk at a time.
func (s *Service) appendChunked(ctx context.Context, events []event.Event) error {
	for start := 0; start < len(events); start += eventChunk {
		end := min(start+eventChunk, len(events))
		if err := s.d.Outbox.Append(ctx, events[start:end]...); err != nil {
			return err
		}
	}
	return nil
}

// upsertOne marks one record through the upsert path (used by check-in,
// which may find a record staff marked earlier).
func (s *Service) upsertOne(ctx context.Context, markedBy *int64, now time.Time, date attendance.Date, session string, e attendance.Entry) (attendance.Upserted, error) {
	ups, err := s.d.Repo.Upsert(ctx, attendance.Batch{Date: date, Session: session, Entries: []attendance.Entry{e}}, markedBy, now)
	if err != nil {
		return attendance.Upserted{}, err
	}
	if len(ups) != 1 {
		return attendance.Upserted{}, fmt.Errorf("upsert of one record reported %d", len(ups))
	}
	return ups[0], nil
}
