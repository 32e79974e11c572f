package club_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/fault"
)

func openClub() club.Club {
	return club.Club{ID: 5, Name: "Chess", IsActive: true, AcceptingMembers: true}
}

// roster plays membership steps against one club, keeping each student's
// row as a store would, and checks after every step that the club's count
// equals its active rows.
type roster struct {
	t    *testing.T
	club club.Club
	rows map[int64]*club.Member
	next int64
}

func newRoster(t *testing.T, c club.Club) *roster {
	return &roster{t: t, club: c, rows: map[int64]*club.Member{}}
}

func (r *roster) active() int {
	n := 0
	for _, m := range r.rows {
		if m.IsActive {
			n++
		}
	}
	return n
}

func (r *roster) save(m club.Member) {
	if m.ID == 0 {
		r.next++
		m.ID = r.next
	}
	r.rows[m.StudentID] = &m
}

func (r *roster) step(name string, s int64) (club.Change, error) {
	r.t.Helper()
	var (
		m   club.Member
		ch  club.Change
		chs []club.Change
		err error
	)
	existing := r.rows[s]
	switch name {
	case "join":
		m, ch, err = r.club.Join(existing, s, now)
	case "leave":
		m, ch, err = r.club.Leave(existing, now)
	case "add":
		m, ch, err = r.club.Add(existing, s, club.RoleMember, nil, now)
	case "deactivate", "reactivate":
		require.NotNil(r.t, existing)
		m, chs, err = r.club.Modify(*existing, club.MemberPatch{IsActive: ptr(name == "reactivate")}, nil, now)
		if len(chs) > 0 {
			ch = chs[0]
		}
	case "remove":
		require.NotNil(r.t, existing)
		ch = r.club.Remove(*existing)
		delete(r.rows, s)
		assert.Equal(r.t, r.active(), r.club.MemberCount, "after remove %d", s)
		return ch, nil
	}
	if err == nil {
		r.save(m)
	}
	assert.Equal(r.t, r.active(), r.club.MemberCount, "after %s %d", name, s)
	return ch, err
}

func TestMemberCountSequences(t *testing.T) {
	type step struct {
		op      string
		student int64
		kind    fault.Kind // 0: succeeds
		count   int        // the count after the step
		action  club.Action
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"join, leave, rejoin", []step{
			{"join", 1, 0, 1, club.Joined}, {"join", 2, 0, 2, club.Joined}, {"leave", 1, 0, 1, club.Left},
			{"join", 1, 0, 2, club.Joined}}},
		{"join twice is a conflict and counts once", []step{
			{"join", 1, 0, 1, club.Joined}, {"join", 1, fault.Conflict, 1, ""}}},
		{"leave when never a member", []step{{"leave", 1, fault.NotFound, 0, ""}}},
		{"leave twice", []step{
			{"join", 1, 0, 1, club.Joined}, {"leave", 1, 0, 0, club.Left}, {"leave", 1, fault.NotFound, 0, ""}}},
		{"deactivate and reactivate", []step{
			{"add", 1, 0, 1, club.Added}, {"add", 2, 0, 2, club.Added}, {"deactivate", 1, 0, 1, club.Deactivated},
			{"deactivate", 1, 0, 1, ""}, {"reactivate", 1, 0, 2, club.Activated}, {"reactivate", 1, 0, 2, ""}}},
		{"remove active and inactive", []step{
			{"add", 1, 0, 1, club.Added}, {"add", 2, 0, 2, club.Added}, {"leave", 2, 0, 1, club.Left},
			{"remove", 2, 0, 1, club.Removed}, {"remove", 1, 0, 0, club.Removed}, {"join", 1, 0, 1, club.Joined}}},
		{"a manager re-adds a former member", []step{
			{"join", 1, 0, 1, club.Joined}, {"leave", 1, 0, 0, club.Left}, {"add", 1, 0, 1, club.Added},
			{"add", 1, fault.Conflict, 1, ""}}},
		{"deactivated member joins again", []step{
			{"join", 3, 0, 1, club.Joined}, {"deactivate", 3, 0, 0, club.Deactivated}, {"join", 3, 0, 1, club.Joined}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoster(t, openClub())
			for i, s := range tt.steps {
				ch, err := r.step(s.op, s.student)
				if s.kind != 0 {
					require.Error(t, err, "step %d", i)
					assert.Equal(t, s.kind, fault.KindOf(err), "step %d: %v", i, err)
				} else {
					require.NoError(t, err, "step %d", i)
					assert.Equal(t, s.action, ch.Action, "step %d", i)
					if s.action != "" {
						assert.Equal(t, s.count, ch.MemberCount, "step %d: the change reports the count after it", i)
					}
				}
				assert.Equal(t, s.count, r.club.MemberCount, "step %d (%s %d)", i, s.op, s.student)
			}
		})
	}
}

func TestRejoinReactivatesTheSameRowAsMember(t *testing.T) {
	c := openClub()
	earlier := now.AddDate(0, -1, 0)
	existing := club.Member{ID: 9, ClubID: 5, StudentID: 1, Role: club.RoleTreasurer, IsActive: false, JoinedAt: earlier}
	m, ch, err := c.Join(&existing, 1, now)
	require.NoError(t, err)
	assert.Equal(t, int64(9), m.ID, "one row per (club, student)")
	assert.Equal(t, club.RoleMember, m.Role, "a self-service join is a plain membership")
	assert.True(t, m.IsActive)
	assert.Equal(t, now, m.JoinedAt)
	assert.Equal(t, club.RoleTreasurer, ch.PreviousRole)
	assert.False(t, ch.PreviousActive)
	assert.Equal(t, 1, ch.MemberCount)
}

func TestJoinNeedsAnOpenClub(t *testing.T) {
	for name, c := range map[string]club.Club{
		"not accepting": {ID: 5, IsActive: true, AcceptingMembers: false},
		"archived":      {ID: 5, IsActive: false, AcceptingMembers: true},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := c.Join(nil, 1, now)
			assert.ErrorIs(t, err, club.ErrNotAccepting)
			assert.Equal(t, fault.BadRequest, fault.KindOf(err))
			assert.Zero(t, c.MemberCount)
		})
	}
	t.Run("leaving a closed club is allowed", func(t *testing.T) {
		c := club.Club{ID: 5, IsActive: false, MemberCount: 1}
		m, ch, err := c.Leave(&club.Member{ID: 1, StudentID: 1, Role: club.RolePresident, IsActive: true}, now)
		require.NoError(t, err)
		assert.False(t, m.IsActive)
		assert.Equal(t, club.Left, ch.Action)
		assert.Equal(t, club.RolePresident, ch.PreviousRole)
		assert.True(t, ch.PreviousActive)
		assert.Zero(t, c.MemberCount)
	})
}

func TestAdd(t *testing.T) {
	president := &club.Member{ID: 3, StudentID: 30, Role: club.RolePresident, IsActive: true}
	tests := []struct {
		name   string
		club   club.Club
		role   club.Role
		holder *club.Member
		kind   fault.Kind
	}{
		{name: "to a club not accepting self-service joins", club: club.Club{ID: 5, IsActive: true}, role: club.RoleSecretary},
		{name: "archived club", club: club.Club{ID: 5}, role: club.RoleMember, kind: fault.BadRequest},
		{name: "office held by another", club: openClub(), role: club.RolePresident, holder: president, kind: fault.Conflict},
		{name: "office held by an inactive member is free", club: openClub(), role: club.RolePresident,
			holder: &club.Member{ID: 3, Role: club.RolePresident}},
		{name: "plain members are many", club: openClub(), role: club.RoleMember, holder: president},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.club
			m, ch, err := c.Add(nil, 1, tt.role, tt.holder, now)
			if tt.kind != 0 {
				assert.Equal(t, tt.kind, fault.KindOf(err), "%v", err)
				assert.Zero(t, c.MemberCount)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, club.Member{ClubID: 5, StudentID: 1, Role: tt.role, IsActive: true, JoinedAt: now, UpdatedAt: now}, m)
			assert.Equal(t, club.Added, ch.Action)
			assert.Equal(t, club.Role(""), ch.PreviousRole)
			assert.Equal(t, 1, c.MemberCount)
		})
	}
	t.Run("conflict message names the office and its holder", func(t *testing.T) {
		c := openClub()
		_, _, err := c.Add(nil, 1, club.RoleVicePresident, &club.Member{ID: 12, Role: club.RoleVicePresident, IsActive: true}, now)
		assert.EqualError(t, err, "The club already has a vice president (member 12)")
	})
}

func TestModify(t *testing.T) {
	m := club.Member{ID: 4, ClubID: 5, StudentID: 40, Role: club.RoleMember, IsActive: true, JoinedAt: now.AddDate(0, -2, 0)}
	holder := &club.Member{ID: 3, StudentID: 30, Role: club.RolePresident, IsActive: true}
	tests := []struct {
		name    string
		club    club.Club
		m       club.Member
		p       club.MemberPatch
		holder  *club.Member
		kind    fault.Kind
		actions []club.Action
		count   int
	}{
		{name: "role change", club: club.Club{ID: 5, IsActive: true, MemberCount: 2}, m: m,
			p: club.MemberPatch{Role: ptr(club.RoleSecretary)}, actions: []club.Action{club.RoleChanged}, count: 2},
		{name: "nothing changes", club: club.Club{ID: 5, IsActive: true, MemberCount: 2}, m: m,
			p: club.MemberPatch{Role: ptr(club.RoleMember), IsActive: ptr(true)}, count: 2},
		{name: "office taken", club: club.Club{ID: 5, IsActive: true, MemberCount: 2}, m: m,
			p: club.MemberPatch{Role: ptr(club.RolePresident)}, holder: holder, kind: fault.Conflict, count: 2},
		{name: "the holder keeps their own office", club: club.Club{ID: 5, IsActive: true, MemberCount: 2}, m: *holder,
			p: club.MemberPatch{Role: ptr(club.RolePresident)}, holder: holder, count: 2},
		{name: "deactivating frees the check", club: club.Club{ID: 5, IsActive: true, MemberCount: 2}, m: m,
			p: club.MemberPatch{Role: ptr(club.RolePresident), IsActive: ptr(false)}, holder: holder,
			actions: []club.Action{club.RoleChanged, club.Deactivated}, count: 1},
		{name: "reactivate in an archived club", club: club.Club{ID: 5, MemberCount: 0},
			m: club.Member{ID: 4, Role: club.RoleMember}, p: club.MemberPatch{IsActive: ptr(true)}, kind: fault.BadRequest},
		{name: "deactivate in an archived club", club: club.Club{ID: 5, MemberCount: 1}, m: m,
			p: club.MemberPatch{IsActive: ptr(false)}, actions: []club.Action{club.Deactivated}, count: 0},
		{name: "reactivate into a taken office", club: club.Club{ID: 5, IsActive: true, MemberCount: 1},
			m: club.Member{ID: 4, Role: club.RolePresident}, p: club.MemberPatch{IsActive: ptr(true)}, holder: holder,
			kind: fault.Conflict, count: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.club
			before := c.MemberCount
			got, chs, err := c.Modify(tt.m, tt.p, tt.holder, now)
			if tt.kind != 0 {
				assert.Equal(t, tt.kind, fault.KindOf(err), "%v", err)
				assert.Equal(t, before, c.MemberCount)
				return
			}
			require.NoError(t, err)
			var actions []club.Action
			for _, ch := range chs {
				actions = append(actions, ch.Action)
				assert.Equal(t, tt.count, ch.MemberCount)
				assert.Equal(t, tt.m.Role, ch.PreviousRole, "previous values are from before the patch")
				assert.Equal(t, tt.m.IsActive, ch.PreviousActive)
			}
			assert.Equal(t, tt.actions, actions)
			assert.Equal(t, tt.count, c.MemberCount)
			if tt.p.Role != nil {
				assert.Equal(t, *tt.p.Role, got.Role)
			}
			if len(chs) == 0 {
				assert.Equal(t, tt.m, got, "an empty change leaves the row alone")
			}
		})
	}
	t.Run("reactivation restarts joined_at", func(t *testing.T) {
		c := club.Club{ID: 5, IsActive: true}
		got, _, err := c.Modify(club.Member{ID: 4, Role: club.RoleMember, JoinedAt: now.AddDate(-1, 0, 0)},
			club.MemberPatch{IsActive: ptr(true)}, nil, now)
		require.NoError(t, err)
		assert.Equal(t, now, got.JoinedAt)
		assert.Equal(t, 1, c.MemberCount)
	})
}

func TestRemoveReportsTheRowAsGone(t *testing.T) {
	c := club.Club{ID: 5, IsActive: true, MemberCount: 1}
	ch := c.Remove(club.Member{ID: 4, StudentID: 40, Role: club.RoleTreasurer, IsActive: true})
	assert.Equal(t, club.Removed, ch.Action)
	assert.False(t, ch.Member.IsActive)
	assert.True(t, ch.PreviousActive)
	assert.Equal(t, club.RoleTreasurer, ch.Member.Role)
	assert.Zero(t, ch.MemberCount)
}
