package contract_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/tests/testenv"
)

// TestHousekeeping: expired sessions go, live ones stay; check-in sessions
// past their end are closed once, open ones and closed ones are left.
func TestHousekeeping(t *testing.T) {
	for _, st := range testenv.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			r := setup(t, st.URL(t))
			ctx := context.Background()
			h := store.NewHousekeeping(r.db)
			u := newUser(t, r, "keeper", identity.RoleStaff, nil)
			newSession(t, r, "old", u.ID, at(-8*24*time.Hour)) // expired a day before base
			newSession(t, r, "live", u.ID, at(0))

			n, err := h.PruneSessions(ctx, at(time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			_, err = r.sessions.Get(ctx, "old")
			assert.Equal(t, fault.NotFound, fault.KindOf(err))
			_, err = r.sessions.Get(ctx, "live")
			require.NoError(t, err)

			checkins := store.NewCheckInRepository(r.db)
			day, err := attendance.ParseDate("2026-11-27")
			require.NoError(t, err)
			ended := attendance.Session{Name: "CS101", Date: day, StartsAt: at(-2 * time.Hour), EndsAt: at(-time.Hour), CreatedAt: at(-3 * time.Hour)}
			running := attendance.Session{Name: "CS102", Date: day, StartsAt: at(-time.Hour), EndsAt: at(time.Hour), CreatedAt: at(-3 * time.Hour)}
			require.NoError(t, checkins.CreateSession(ctx, &ended))
			require.NoError(t, checkins.CreateSession(ctx, &running))

			n, err = h.CloseEndedCheckIns(ctx, at(0))
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			got, err := checkins.GetSession(ctx, ended.ID)
			require.NoError(t, err)
			require.NotNil(t, got.ClosedAt)
			got, err = checkins.GetSession(ctx, running.ID)
			require.NoError(t, err)
			assert.Nil(t, got.ClosedAt)
			n, err = h.CloseEndedCheckIns(ctx, at(0))
			require.NoError(t, err)
			assert.Zero(t, n, "a second pass changes nothing")

			// Task history: runs that ended before the cut go, later ones stay.
			agents := store.NewAgentStore(r.db)
			for _, end := range []time.Duration{-9 * 24 * time.Hour, -8 * 24 * time.Hour, -time.Hour} {
				require.NoError(t, agents.RecordRun(ctx, &agent.Run{Agent: "maintenance", StartedAt: at(end - time.Second), EndedAt: at(end), Outcome: agent.Succeeded}))
			}
			n, err = h.PruneTaskHistory(ctx, at(-7*24*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			runs, err := agents.Runs(ctx, "maintenance", page.Request{Limit: 10})
			require.NoError(t, err)
			require.Len(t, runs.Items, 1)
			assert.Equal(t, at(-time.Hour), runs.Items[0].EndedAt)
		})
	}
}
