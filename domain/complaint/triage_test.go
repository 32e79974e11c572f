package complaint_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
)

func testRules(t *testing.T) complaint.Rules {
	t.Helper()
	rs, err := complaint.NewRules([]complaint.Rule{
		{Name: "facilities", Category: complaint.Facilities, Keywords: []string{"heater", "broken", "water", "leak*", "wi-fi"}},
		{Name: "health", Category: complaint.Health, Keywords: []string{"sick", "injur*", "food poisoning"}},
		{Name: "conduct", Category: complaint.Conduct, Keywords: []string{"bully*", "fight"}},
		{Name: "urgent", Priority: complaint.Urgent, Keywords: []string{"fire", "injur*"}},
		{Name: "high", Priority: complaint.High, Keywords: []string{"broken", "leak*", "no water"}},
		{Name: "low", Priority: complaint.Low, Keywords: []string{"suggestion"}},
	})
	require.NoError(t, err)
	return rs
}

func TestNewRulesRejectsBadRules(t *testing.T) {
	ok := complaint.Rule{Name: "r", Category: complaint.Health, Keywords: []string{"sick"}}
	tests := []struct {
		name   string
		rules  []complaint.Rule
		fields []string
	}{
		{"none", nil, []string{"rules"}},
		{"no name", []complaint.Rule{{Category: complaint.Health, Keywords: []string{"x y"}}}, []string{"rules[0].name"}},
		{"long name", []complaint.Rule{{Name: strings.Repeat("n", 65), Category: complaint.Health, Keywords: []string{"sick"}}}, []string{"rules[0].name"}},
		{"duplicate name", []complaint.Rule{ok, ok}, []string{"rules[1].name"}},
		{"bad category", []complaint.Rule{{Name: "r", Category: "food", Keywords: []string{"sick"}}}, []string{"rules[0].category"}},
		{"bad priority", []complaint.Rule{{Name: "r", Priority: "asap", Keywords: []string{"sick"}}}, []string{"rules[0].priority"}},
		{"suggests nothing", []complaint.Rule{{Name: "r", Keywords: []string{"sick"}}}, []string{"rules[0]"}},
		{"no keywords", []complaint.Rule{{Name: "r", Category: complaint.Health}}, []string{"rules[0].keywords"}},
		{"blank keyword", []complaint.Rule{{Name: "r", Category: complaint.Health, Keywords: []string{"sick", " -- "}}}, []string{"rules[0].keywords[1]"}},
		{"inner star", []complaint.Rule{{Name: "r", Category: complaint.Health, Keywords: []string{"si*ck"}}}, []string{"rules[0].keywords[0]"}},
		{"short prefix", []complaint.Rule{{Name: "r", Category: complaint.Health, Keywords: []string{"si*"}}}, []string{"rules[0].keywords[0]"}},
		{"star after a space", []complaint.Rule{{Name: "r", Category: complaint.Health, Keywords: []string{"sick *"}}}, []string{"rules[0].keywords[0]"}},
		{"duplicate keyword", []complaint.Rule{{Name: "r", Category: complaint.Health, Keywords: []string{"Wi-Fi", "wi fi"}}}, []string{"rules[0].keywords[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := complaint.NewRules(tt.rules)
			assert.Equal(t, fault.Invalid, fault.KindOf(err))
			assert.Equal(t, tt.fields, fieldsOf(err))
		})
	}
}

func TestSuggestKeywordMatching(t *testing.T) {
	rs := testRules(t)
	tests := []struct {
		name     string
		text     string
		category complaint.Category
		catBy    []string
		priority complaint.Priority
		prioBy   []string
	}{
		{name: "nothing matches", text: "The timetable changed without notice"},
		{name: "the brief's example", text: "The heater in hostel room 12 is broken and water leaks",
			category: complaint.Facilities, catBy: []string{"heater", "broken", "water", "leak*"},
			priority: complaint.High, prioBy: []string{"broken", "leak*"}},
		{name: "case and punctuation", text: "HEATER!!! (Broken.)", category: complaint.Facilities, catBy: []string{"heater", "broken"},
			priority: complaint.High, prioBy: []string{"broken"}},
		{name: "whole words only", text: "The waterfall heaters brokenness", category: ""},
		{name: "prefix", text: "It keeps leaking", category: complaint.Facilities, catBy: []string{"leak*"}, priority: complaint.High, prioBy: []string{"leak*"}},
		{name: "phrase across punctuation", text: "Wi fi down; also food-poisoning", category: complaint.Facilities, catBy: []string{"wi fi"}},
		{name: "phrase words must be adjacent", text: "food was cold and I got poisoning", category: ""},
		{name: "most keywords win the category", text: "sick after food poisoning in the heater room",
			category: complaint.Health, catBy: []string{"sick", "food poisoning"}},
		{name: "a tie goes to the earlier rule", text: "sick because the heater", category: complaint.Facilities, catBy: []string{"heater"}},
		{name: "highest priority wins", text: "broken window, someone injured, suggestion box",
			category: complaint.Facilities, catBy: []string{"broken"}, priority: complaint.Urgent, prioBy: []string{"injur*"}},
		{name: "priority only", text: "a suggestion", priority: complaint.Low, prioBy: []string{"suggestion"}},
		{name: "unicode text", text: "Ça fuit: leak à l'étage", category: complaint.Facilities, catBy: []string{"leak*"}, priority: complaint.High, prioBy: []string{"leak*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rs.Suggest(tt.text)
			assert.Equal(t, tt.category, s.Category)
			assert.Equal(t, tt.priority, s.Priority)
			if tt.category != "" {
				assert.Equal(t, tt.catBy, s.CategoryBy.Keywords)
			}
			if tt.priority != "" {
				assert.Equal(t, tt.prioBy, s.PriorityBy.Keywords)
			}
		})
	}
	s := rs.Suggest("broken")
	assert.Equal(t, `rule "facilities" matched broken`, s.CategoryBy.String())
	assert.Equal(t, "high", s.PriorityBy.Rule)
}

func defaulted(t *testing.T) complaint.Complaint {
	t.Helper()
	c, err := complaint.New(complaint.Fields{StudentID: 7, Title: "Heater", Description: "The heater is broken."}, 3, filed)
	require.NoError(t, err)
	c.ID = 11
	return c
}

func TestNewRecordsDefaults(t *testing.T) {
	c := defaulted(t)
	assert.True(t, c.CategoryDefaulted)
	assert.True(t, c.PriorityDefaulted)
	c, err := complaint.New(complaint.Fields{StudentID: 7, Title: "Heater", Description: "The heater is broken.", Category: "other", Priority: "normal"}, 3, filed)
	require.NoError(t, err)
	assert.False(t, c.CategoryDefaulted, "choosing the default value is a choice")
	assert.False(t, c.PriorityDefaulted)
	c, err = complaint.New(complaint.Fields{StudentID: 7, Title: "Heater", Description: "The heater is broken.", Priority: "high"}, 3, filed)
	require.NoError(t, err)
	assert.True(t, c.CategoryDefaulted)
	assert.False(t, c.PriorityDefaulted)
}

func TestApplyPriorityEndsTheDefault(t *testing.T) {
	c := defaulted(t)
	_, err := c.Apply(complaint.Change{Priority: ptr("high")}, 9, later)
	require.NoError(t, err)
	assert.False(t, c.PriorityDefaulted)
	assert.True(t, c.CategoryDefaulted)
}

func TestTriageAppliesOnlyDefaults(t *testing.T) {
	suggest := complaint.Suggestion{Category: complaint.Facilities, CategoryBy: complaint.Match{Rule: "facilities", Keywords: []string{"heater"}},
		Priority: complaint.High, PriorityBy: complaint.Match{Rule: "high", Keywords: []string{"broken"}}}
	staff := &complaint.Assignee{UserID: 5, Open: 2}

	t.Run("everything defaulted", func(t *testing.T) {
		c := defaulted(t)
		d := c.Triage(suggest, staff, later)
		assert.Equal(t, complaint.Facilities, c.Category)
		assert.Equal(t, complaint.High, c.Priority)
		assert.Equal(t, filed.Add(48*time.Hour), c.DueAt, "due_at follows the priority from filing")
		assert.False(t, c.CategoryDefaulted)
		assert.False(t, c.PriorityDefaulted)
		assert.Equal(t, int64(5), *c.AssignedTo)
		assert.Equal(t, later, c.UpdatedAt)
		assert.Equal(t, int64(5), *d.Assigned)
		assert.Equal(t, []complaint.FieldChange{
			{Field: "category", From: "other", To: "facilities"},
			{Field: "priority", From: "normal", To: "high"},
			{Field: "due_at", From: "2026-11-30T09:30:00Z", To: "2026-11-29T09:30:00Z"},
			{Field: "assigned_to", From: nil, To: int64(5)},
		}, d.Changes)
		require.Len(t, d.Reasons, 3)
		assert.Equal(t, `category facilities: rule "facilities" matched heater`, d.Reasons[0])
		assert.Contains(t, d.Reasons[1], `priority high: rule "high" matched broken`)
		assert.Contains(t, d.Reasons[2], "assigned to user 5")
		assert.Contains(t, d.Reasons[2], "(2;")
		assert.Equal(t, strings.Join(d.Reasons, "; "), d.Note())
	})
	t.Run("chosen by the filer", func(t *testing.T) {
		c := defaulted(t)
		c.Category, c.CategoryDefaulted = complaint.Academic, false
		c.Priority, c.PriorityDefaulted, c.DueAt = complaint.Low, false, filed.Add(120*time.Hour)
		two := int64(2)
		c.AssignedTo = &two
		orig := c
		d := c.Triage(suggest, staff, later)
		assert.Equal(t, orig, c, "nothing the filer chose changes")
		assert.Empty(t, d.Changes)
		assert.Nil(t, d.Assigned)
		assert.Contains(t, d.Reasons[0], "category academic kept: chosen by the filer")
		assert.Contains(t, d.Reasons[1], "priority low kept: chosen by the filer")
		assert.Equal(t, "assignee 2 kept: already assigned", d.Reasons[2])
	})
	t.Run("no suggestion and no staff", func(t *testing.T) {
		c := defaulted(t)
		orig := c
		d := c.Triage(complaint.Suggestion{}, nil, later)
		assert.Equal(t, orig, c)
		assert.Empty(t, d.Changes)
		assert.Equal(t, []string{"category other kept: no rule suggests one", "priority normal kept: no rule suggests one",
			"not assigned: there is no active staff member"}, d.Reasons)
	})
	t.Run("a long note is cut", func(t *testing.T) {
		d := complaint.Triage{Reasons: []string{strings.Repeat("x", 600), strings.Repeat("y", 600)}}
		n := d.Note()
		assert.Equal(t, complaint.NoteMax, len([]rune(n)))
		assert.True(t, strings.HasSuffix(n, "…"))
	})
}

func TestTriageable(t *testing.T) {
	for _, st := range complaint.Statuses {
		c := stored(st)
		assert.Equal(t, st == complaint.Pending, c.Triageable(), st)
	}
}

func TestPriorityLadder(t *testing.T) {
	want := map[complaint.Priority]complaint.Priority{complaint.Low: complaint.Normal, complaint.Normal: complaint.High, complaint.High: complaint.Urgent}
	for _, p := range complaint.Priorities {
		next, ok := p.Raise()
		if p == complaint.Urgent {
			assert.False(t, ok)
			assert.Equal(t, complaint.Urgent, next)
			continue
		}
		assert.True(t, ok)
		assert.Equal(t, want[p], next)
	}
}

func TestEscalateOncePerBreach(t *testing.T) {
	c := defaulted(t) // normal, due filed+72h
	due := c.DueAt
	_, ok := c.Escalate(due)
	assert.False(t, ok, "due exactly now is not overdue yet")

	now := due.Add(time.Hour)
	e, ok := c.Escalate(now)
	require.True(t, ok)
	assert.True(t, e.Raised)
	assert.Equal(t, due, e.Breached)
	assert.Equal(t, complaint.Normal, e.From)
	assert.Equal(t, complaint.High, e.To)
	assert.Equal(t, complaint.High, c.Priority)
	assert.False(t, c.PriorityDefaulted, "the agent chose it now")
	assert.Equal(t, now.Add(48*time.Hour), c.DueAt, "counted from now, not from filing")
	assert.Equal(t, due, *c.EscalatedDueAt)
	assert.Equal(t, now, c.UpdatedAt)
	assert.Equal(t, []complaint.FieldChange{
		{Field: "priority", From: "normal", To: "high"},
		{Field: "due_at", From: due.Format(time.RFC3339Nano), To: now.Add(48 * time.Hour).Format(time.RFC3339Nano)},
	}, e.Changes)
	assert.Contains(t, e.Reason, "priority raised from normal to high")
	assert.Contains(t, e.Reason, "recomputed from now")

	orig := c
	_, ok = c.Escalate(now.Add(time.Minute))
	assert.False(t, ok, "the new due time is not breached yet")
	assert.Equal(t, orig, c)

	// A new breach escalates again, up to urgent.
	now2 := c.DueAt.Add(time.Second)
	e, ok = c.Escalate(now2)
	require.True(t, ok)
	assert.Equal(t, complaint.Urgent, e.To)
	assert.Equal(t, now2.Add(24*time.Hour), c.DueAt)

	// Urgent cannot go higher: the breach is remembered once, nothing else changes.
	now3 := c.DueAt.Add(time.Second)
	before := c
	e, ok = c.Escalate(now3)
	require.True(t, ok)
	assert.False(t, e.Raised)
	assert.Empty(t, e.Changes)
	assert.Equal(t, complaint.Urgent, c.Priority)
	assert.Equal(t, before.DueAt, c.DueAt)
	assert.Equal(t, before.UpdatedAt, c.UpdatedAt)
	assert.Equal(t, before.DueAt, *c.EscalatedDueAt)
	assert.Contains(t, e.Reason, "already urgent")
	_, ok = c.Escalate(now3.Add(time.Hour))
	assert.False(t, ok, "an urgent breach is escalated once")
}

func TestEscalateOnlyOpen(t *testing.T) {
	for _, st := range complaint.Statuses {
		c := stored(st)
		orig := c
		_, ok := c.Escalate(c.DueAt.Add(time.Hour))
		assert.Equal(t, st.Open(), ok, st)
		if !ok {
			assert.Equal(t, orig, c)
		}
	}
}

// TestEscalateAfterPriorityReset: staff setting the priority back makes
// due_at the breached time again (counted from filing), which is not a
// new breach.
func TestEscalateAfterPriorityReset(t *testing.T) {
	c := defaulted(t)
	now := c.DueAt.Add(time.Hour)
	_, ok := c.Escalate(now)
	require.True(t, ok)
	_, err := c.Apply(complaint.Change{Priority: ptr("normal")}, 9, now)
	require.NoError(t, err)
	assert.False(t, c.Breached(now.Add(time.Hour)))
	_, err = c.Apply(complaint.Change{Priority: ptr("urgent")}, 9, now)
	require.NoError(t, err)
	assert.True(t, c.Breached(now.Add(time.Hour)), "a different due time passed: a new breach")
}
