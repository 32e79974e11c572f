package complaint_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
)

var (
	filed = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	later = filed.Add(5 * time.Hour)
)

func ptr[T any](v T) *T { return &v }

func fieldsOf(err error) []string {
	var fe *fault.Error
	if !errors.As(err, &fe) {
		return nil
	}
	out := make([]string, len(fe.Fields))
	for i, f := range fe.Fields {
		out[i] = f.Field
	}
	return out
}

func valid() complaint.Fields {
	return complaint.Fields{StudentID: 7, Title: "Broken heater", Description: "The heater in room 12 is broken."}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(*complaint.Fields)
		wantFields []string
		check      func(t *testing.T, c complaint.Complaint)
	}{
		{name: "defaults", check: func(t *testing.T, c complaint.Complaint) {
			assert.Equal(t, complaint.Other, c.Category)
			assert.Equal(t, complaint.Normal, c.Priority)
			assert.Equal(t, complaint.Pending, c.Status)
			assert.Equal(t, filed.Add(72*time.Hour), c.DueAt)
			assert.Equal(t, int64(3), c.FiledBy)
			assert.Equal(t, filed, c.CreatedAt)
			assert.Nil(t, c.AssignedTo)
			assert.Nil(t, c.ResolvedAt)
		}},
		{name: "any case enums", mod: func(f *complaint.Fields) { f.Category, f.Priority = " Health", "URGENT" }, check: func(t *testing.T, c complaint.Complaint) {
			assert.Equal(t, complaint.Health, c.Category)
			assert.Equal(t, complaint.Urgent, c.Priority)
			assert.Equal(t, filed.Add(24*time.Hour), c.DueAt)
		}},
		{name: "trimmed", mod: func(f *complaint.Fields) { f.Title = "  Heater  " }, check: func(t *testing.T, c complaint.Complaint) {
			assert.Equal(t, "Heater", c.Title)
		}},
		{name: "title of exactly 5", mod: func(f *complaint.Fields) { f.Title = "ab cd" }},
		{name: "title of exactly 200", mod: func(f *complaint.Fields) { f.Title = strings.Repeat("é", 200) }},
		{name: "description of exactly 10", mod: func(f *complaint.Fields) { f.Description = "0123456789" }},
		{name: "title of 4", mod: func(f *complaint.Fields) { f.Title = "abcd" }, wantFields: []string{"title"}},
		{name: "title of 4 after trimming", mod: func(f *complaint.Fields) { f.Title = "  abcd   " }, wantFields: []string{"title"}},
		{name: "title of 201", mod: func(f *complaint.Fields) { f.Title = strings.Repeat("x", 201) }, wantFields: []string{"title"}},
		{name: "description of 9", mod: func(f *complaint.Fields) { f.Description = "012345678" }, wantFields: []string{"description"}},
		{name: "no student", mod: func(f *complaint.Fields) { f.StudentID = 0 }, wantFields: []string{"student_id"}},
		{name: "bad enums", mod: func(f *complaint.Fields) { f.Category, f.Priority = "food", "asap" }, wantFields: []string{"category", "priority"}},
		{name: "everything wrong", mod: func(f *complaint.Fields) { *f = complaint.Fields{Category: "x"} },
			wantFields: []string{"title", "description", "student_id", "category"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := valid()
			if tt.mod != nil {
				tt.mod(&f)
			}
			c, err := complaint.New(f, 3, filed)
			if tt.wantFields != nil {
				require.Error(t, err)
				assert.Equal(t, fault.Invalid, fault.KindOf(err))
				assert.Equal(t, tt.wantFields, fieldsOf(err))
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestDueAtPerPriority(t *testing.T) {
	tests := []struct {
		priority complaint.Priority
		want     time.Duration
	}{
		{complaint.Urgent, 24 * time.Hour},
		{complaint.High, 48 * time.Hour},
		{complaint.Normal, 72 * time.Hour},
		{complaint.Low, 120 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(string(tt.priority), func(t *testing.T) {
			assert.Equal(t, filed.Add(tt.want), complaint.DueAt(filed, tt.priority))
			f := valid()
			f.Priority = string(tt.priority)
			c, err := complaint.New(f, 1, filed)
			require.NoError(t, err)
			assert.Equal(t, filed.Add(tt.want), c.DueAt)
		})
	}
}

// TestCanMoveAllPairs checks the whole from×to table against the contract.
func TestCanMoveAllPairs(t *testing.T) {
	allowed := map[[2]complaint.Status]bool{
		{complaint.Pending, complaint.InProgress}:  true,
		{complaint.InProgress, complaint.Resolved}: true,
		{complaint.Resolved, complaint.Closed}:     true,
		{complaint.Resolved, complaint.InProgress}: true,
		{complaint.Pending, complaint.Closed}:      true,
	}
	n := 0
	for _, from := range complaint.Statuses {
		for _, to := range complaint.Statuses {
			n++
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				assert.Equal(t, allowed[[2]complaint.Status{from, to}], complaint.CanMove(from, to))
			})
		}
	}
	assert.Equal(t, 16, n)
}

func stored(status complaint.Status) complaint.Complaint {
	c, _ := complaint.New(valid(), 3, filed)
	c.ID = 11
	c.Status = status
	if status == complaint.Resolved || status == complaint.Closed {
		at, by := filed.Add(time.Hour), int64(2)
		c.ResolvedAt, c.ResolvedBy = &at, &by
	}
	return c
}

// TestApplyStatusMoves runs every from×to through Apply: allowed moves
// change the status (and the resolution stamps), the same status is no
// change, everything else is a conflict that changes nothing.
func TestApplyStatusMoves(t *testing.T) {
	for _, from := range complaint.Statuses {
		for _, to := range complaint.Statuses {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				c := stored(from)
				orig := c
				ch := complaint.Change{Status: ptr(strings.ToUpper(string(to)))}
				if from == complaint.Pending && to == complaint.Closed {
					ch.Resolution = ptr(ptr("Duplicate of #3"))
				}
				changes, err := c.Apply(ch, 9, later)
				switch {
				case from == to:
					require.NoError(t, err)
					assert.Empty(t, changes)
					assert.Equal(t, orig, c)
				case complaint.CanMove(from, to):
					require.NoError(t, err)
					assert.Equal(t, to, c.Status)
					assert.Equal(t, later, c.UpdatedAt)
					require.NotEmpty(t, changes)
					assert.Equal(t, complaint.FieldChange{Field: "status", From: string(from), To: string(to)}, changes[0])
				default:
					require.Error(t, err)
					assert.Equal(t, fault.Conflict, fault.KindOf(err))
					assert.Equal(t, orig, c, "a refused move changes nothing")
				}
			})
		}
	}
}

func TestApplyResolveAndReopen(t *testing.T) {
	c := stored(complaint.InProgress)
	changes, err := c.Apply(complaint.Change{Status: ptr("resolved"), Resolution: ptr(ptr(" Fixed the heater "))}, 9, later)
	require.NoError(t, err)
	require.NotNil(t, c.ResolvedAt)
	assert.Equal(t, later, *c.ResolvedAt)
	assert.Equal(t, int64(9), *c.ResolvedBy)
	assert.Equal(t, "Fixed the heater", *c.Resolution)
	fields := map[string]complaint.FieldChange{}
	for _, fc := range changes {
		fields[fc.Field] = fc
	}
	assert.Equal(t, complaint.FieldChange{Field: "resolved_by", From: nil, To: int64(9)}, fields["resolved_by"])
	assert.Equal(t, complaint.FieldChange{Field: "resolution", From: nil, To: "Fixed the heater"}, fields["resolution"])
	assert.Equal(t, later.Format(time.RFC3339Nano), fields["resolved_at"].To)

	changes, err = c.Apply(complaint.Change{Status: ptr("in_progress")}, 4, later.Add(time.Hour))
	require.NoError(t, err)
	assert.Nil(t, c.ResolvedAt, "reopening clears resolved_at")
	assert.Nil(t, c.ResolvedBy, "reopening clears resolved_by")
	assert.Equal(t, "Fixed the heater", *c.Resolution, "the earlier resolution stays for the record")
	assert.Len(t, changes, 3) // status, resolved_at, resolved_by
}

func TestApplyDismissNeedsResolution(t *testing.T) {
	tests := []struct {
		name       string
		existing   *string
		resolution **string
		wantErr    bool
	}{
		{name: "no resolution", wantErr: true},
		{name: "blank resolution", resolution: ptr(ptr("   ")), wantErr: true},
		{name: "resolution cleared", existing: ptr("old"), resolution: ptr((*string)(nil)), wantErr: true},
		{name: "resolution given", resolution: ptr(ptr("Not a campus matter"))},
		{name: "resolution already there", existing: ptr("Handled by the city")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stored(complaint.Pending)
			c.Resolution = tt.existing
			orig := c
			_, err := c.Apply(complaint.Change{Status: ptr("closed"), Resolution: tt.resolution}, 9, later)
			if tt.wantErr {
				assert.Equal(t, fault.Invalid, fault.KindOf(err))
				assert.Equal(t, []string{"resolution"}, fieldsOf(err))
				assert.Equal(t, orig, c)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, complaint.Closed, c.Status)
			assert.Nil(t, c.ResolvedAt, "a dismissal is not a resolution")
		})
	}
}

func TestApplyPriorityRecomputesDueAtFromFiling(t *testing.T) {
	for _, p := range complaint.Priorities {
		t.Run(string(p), func(t *testing.T) {
			c := stored(complaint.InProgress)
			_, err := c.Apply(complaint.Change{Priority: ptr(string(p))}, 9, filed.Add(50*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, p, c.Priority)
			assert.Equal(t, filed.Add(p.Window()), c.DueAt, "counted from created_at, not from the change")
		})
	}
	c := stored(complaint.Pending)
	changes, err := c.Apply(complaint.Change{Priority: ptr("urgent")}, 9, later)
	require.NoError(t, err)
	assert.Equal(t, []complaint.FieldChange{
		{Field: "priority", From: "normal", To: "urgent"},
		{Field: "due_at", From: filed.Add(72 * time.Hour).Format(time.RFC3339Nano), To: filed.Add(24 * time.Hour).Format(time.RFC3339Nano)},
	}, changes)
}

func TestApplyAssignment(t *testing.T) {
	c := stored(complaint.Pending)
	changes, err := c.Apply(complaint.Change{AssignedTo: ptr(ptr[int64](2))}, 9, later)
	require.NoError(t, err)
	assert.Equal(t, []complaint.FieldChange{{Field: "assigned_to", From: nil, To: int64(2)}}, changes)
	changes, err = c.Apply(complaint.Change{AssignedTo: ptr(ptr[int64](2))}, 9, later)
	require.NoError(t, err)
	assert.Empty(t, changes, "the same assignee again is no change")
	changes, err = c.Apply(complaint.Change{AssignedTo: ptr((*int64)(nil))}, 9, later)
	require.NoError(t, err)
	assert.Equal(t, []complaint.FieldChange{{Field: "assigned_to", From: int64(2), To: nil}}, changes)
	assert.Nil(t, c.AssignedTo)
}

func TestApplyValidation(t *testing.T) {
	tests := []struct {
		name   string
		ch     complaint.Change
		fields []string
	}{
		{"bad status", complaint.Change{Status: ptr("done")}, []string{"status"}},
		{"bad priority", complaint.Change{Priority: ptr("asap")}, []string{"priority"}},
		{"bad assignee", complaint.Change{AssignedTo: ptr(ptr[int64](0))}, []string{"assigned_to"}},
		{"long resolution", complaint.Change{Resolution: ptr(ptr(strings.Repeat("x", 5001)))}, []string{"resolution"}},
		{"long note", complaint.Change{Note: ptr(strings.Repeat("x", 1001)), Priority: ptr("x")}, []string{"priority", "note"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stored(complaint.Pending)
			orig := c
			_, err := c.Apply(tt.ch, 9, later)
			assert.Equal(t, fault.Invalid, fault.KindOf(err))
			assert.Equal(t, tt.fields, fieldsOf(err))
			assert.Equal(t, orig, c)
		})
	}
}

func TestApplyToClosed(t *testing.T) {
	c := stored(complaint.Closed)
	orig := c
	_, err := c.Apply(complaint.Change{Priority: ptr("urgent")}, 9, later)
	assert.Equal(t, fault.Conflict, fault.KindOf(err))
	assert.Equal(t, orig, c)
	changes, err := c.Apply(complaint.Change{Priority: ptr("normal"), Status: ptr("closed")}, 9, later)
	require.NoError(t, err, "restating a closed complaint's values is no change")
	assert.Empty(t, changes)
}

func TestOverdue(t *testing.T) {
	due := filed.Add(72 * time.Hour)
	for _, st := range complaint.Statuses {
		for _, tc := range []struct {
			now  time.Time
			past bool
		}{{due.Add(-time.Second), false}, {due, false}, {due.Add(time.Second), true}} {
			c := stored(st)
			want := tc.past && st.Open()
			assert.Equal(t, want, c.Overdue(tc.now), "%s at %s", st, tc.now)
		}
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"Pending", "IN_PROGRESS", " resolved ", "closed"} {
		_, err := complaint.ParseStatus(s)
		assert.NoError(t, err, s)
	}
	for _, s := range []string{"", "open", "in progress"} {
		_, err := complaint.ParseStatus(s)
		assert.Equal(t, fault.Invalid, fault.KindOf(err), s)
	}
	_, err := complaint.ParseCategory("FACILITIES")
	assert.NoError(t, err)
	_, err = complaint.ParseCategory("food")
	assert.Error(t, err)
	_, err = complaint.ParsePriority("High")
	assert.NoError(t, err)
	_, err = complaint.ParsePriority("critical")
	assert.Error(t, err)
}

func TestSnapshot(t *testing.T) {
	c := stored(complaint.Resolved)
	s := complaint.Snapshot(c)
	assert.Equal(t, "resolved", s["status"])
	assert.Equal(t, int64(2), s["resolved_by"])
	assert.Nil(t, s["assigned_to"])
	assert.Equal(t, "2026-11-30T09:30:00Z", s["due_at"])
}
