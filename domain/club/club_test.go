package club_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/fault"
)

var now = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, fault.Invalid, fe.Kind, "error: %v", err)
	out := make([]string, len(fe.Fields))
	for i, f := range fe.Fields {
		out[i] = f.Field
	}
	return out
}

func TestNewClub(t *testing.T) {
	tests := []struct {
		name       string
		f          club.Fields
		wantFields []string
		check      func(t *testing.T, c club.Club)
	}{
		{name: "defaults active and accepting", f: club.Fields{Name: "  Chess  ", Category: " games "},
			check: func(t *testing.T, c club.Club) {
				assert.Equal(t, "Chess", c.Name)
				assert.Equal(t, "games", c.Category)
				assert.True(t, c.IsActive)
				assert.True(t, c.AcceptingMembers)
				assert.Zero(t, c.MemberCount)
			}},
		{name: "explicit flags", f: club.Fields{Name: "Chess", IsActive: ptr(false), AcceptingMembers: ptr(false)},
			check: func(t *testing.T, c club.Club) {
				assert.False(t, c.IsActive)
				assert.False(t, c.AcceptingMembers)
			}},
		{name: "name of 100 runes", f: club.Fields{Name: strings.Repeat("é", 100)}},
		{name: "empty name", f: club.Fields{Name: "   "}, wantFields: []string{"name"}},
		{name: "name too long", f: club.Fields{Name: strings.Repeat("x", 101)}, wantFields: []string{"name"}},
		{name: "everything too long", f: club.Fields{Name: "", Description: strings.Repeat("d", 2001),
			Category: strings.Repeat("c", 51), Advisor: strings.Repeat("a", 201)},
			wantFields: []string{"name", "description", "category", "advisor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := club.New(tt.f)
			if tt.wantFields != nil {
				assert.Equal(t, tt.wantFields, fieldsOf(t, err))
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestPatchKeepsCountAndUnsentFields(t *testing.T) {
	c := club.Club{ID: 1, Name: "Chess", Description: "d", Category: "games", Advisor: "Dr. K", IsActive: true,
		AcceptingMembers: true, MemberCount: 7}
	require.NoError(t, c.Apply(club.Patch{AcceptingMembers: ptr(false), Advisor: ptr("Dr. Q")}))
	assert.Equal(t, club.Club{ID: 1, Name: "Chess", Description: "d", Category: "games", Advisor: "Dr. Q", IsActive: true,
		AcceptingMembers: false, MemberCount: 7}, c)

	before := c
	err := c.Apply(club.Patch{Name: ptr("")})
	assert.Equal(t, []string{"name"}, fieldsOf(t, err))
	assert.Equal(t, before, c, "a refused patch changes nothing")

	// Replace (PUT) resets omitted flags to their defaults.
	require.NoError(t, c.Replace(club.Fields{Name: "Chess"}))
	assert.True(t, c.AcceptingMembers)
	assert.Empty(t, c.Advisor)
	assert.Equal(t, 7, c.MemberCount)
}

func TestArchive(t *testing.T) {
	c := club.Club{IsActive: true, AcceptingMembers: true, MemberCount: 3}
	c.Archive()
	assert.False(t, c.IsActive)
	assert.False(t, c.AcceptingMembers)
	assert.Equal(t, 3, c.MemberCount, "archiving keeps the members")
}

func TestNameKey(t *testing.T) {
	assert.Equal(t, club.NameKey("CHESS"), club.NameKey(" chess "))
	assert.Equal(t, "échecs", club.NameKey("ÉCHECS"))
	assert.NotEqual(t, club.NameKey("chess"), club.NameKey("chess club"))
}

func TestParseRole(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want club.Role
	}{{"member", club.RoleMember}, {"PRESIDENT", club.RolePresident}, {" Vice_President ", club.RoleVicePresident},
		{"secretary", club.RoleSecretary}, {"Treasurer", club.RoleTreasurer}} {
		got, err := club.ParseRole(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
	for _, in := range []string{"", "captain", "vice president"} {
		_, err := club.ParseRole(in)
		assert.ErrorIs(t, err, fault.ErrInvalid, in)
	}
	assert.False(t, club.RoleMember.Office())
	for _, r := range club.Roles[1:] {
		assert.True(t, r.Office(), r)
	}
}

func TestNULIsRefused(t *testing.T) {
	_, err := club.New(club.Fields{Name: "Ch\x00ess", Advisor: "\x00"})
	assert.Equal(t, []string{"name", "advisor"}, fieldsOf(t, err))
	f := club.ActivityFields{Title: "a\x00", ActivityType: "talk", StartsAt: now, Location: ptr("x\x00")}
	_, err = club.NewActivity(1, f)
	assert.Equal(t, []string{"title", "location"}, fieldsOf(t, err))
}
