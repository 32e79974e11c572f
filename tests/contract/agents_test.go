package contract_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/tests/testenv"
)

// TestAgentStore: switches default to on and flip; runs come back newest
// first with their counts; stats sum runs and failures and name the last
// outcome; the task ledger remembers who asked.
func TestAgentStore(t *testing.T) {
	for _, st := range testenv.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			r := setup(t, st.URL(t))
			s := store.NewAgentStore(r.db)
			ctx := context.Background()

			on, err := s.Enabled(ctx, "maintenance")
			require.NoError(t, err)
			assert.True(t, on)
			require.NoError(t, s.SetEnabled(ctx, "maintenance", false))
			require.NoError(t, s.SetEnabled(ctx, "maintenance", false))
			on, err = s.Enabled(ctx, "maintenance")
			require.NoError(t, err)
			assert.False(t, on)

			for i, o := range []agent.Outcome{agent.Succeeded, agent.Failed, agent.Skipped} {
				run := agent.Run{Agent: "maintenance", TaskID: "t", StartedAt: at(time.Duration(i) * time.Hour),
					EndedAt: at(time.Duration(i)*time.Hour + time.Second), Outcome: o, Counts: map[string]int{"n": i}}
				require.NoError(t, s.RecordRun(ctx, &run))
				assert.Positive(t, run.ID)
			}
			require.NoError(t, s.RecordRun(ctx, &agent.Run{Agent: "other", StartedAt: at(0), EndedAt: at(0), Outcome: agent.Succeeded}))
			// Runs without a task id are all kept.
			require.NoError(t, s.RecordRun(ctx, &agent.Run{Agent: "other", StartedAt: at(0), EndedAt: at(0), Outcome: agent.Succeeded}))
			// A task that ran again after its worker died: its second
			// success records nothing; failures are all kept.
			for _, o := range []agent.Outcome{agent.Succeeded, agent.Failed} {
				again := agent.Run{Agent: "maintenance", TaskID: "t", StartedAt: at(3 * time.Hour), EndedAt: at(3 * time.Hour), Outcome: o,
					Counts: map[string]int{"n": 9}}
				require.NoError(t, s.RecordRun(ctx, &again))
				if o == agent.Succeeded {
					assert.Zero(t, again.ID, "a second success of task t is not recorded")
				} else {
					assert.Positive(t, again.ID)
				}
			}
			// The same task id under another agent is another run.
			other := agent.Run{Agent: "other", TaskID: "t", StartedAt: at(0), EndedAt: at(0), Outcome: agent.Succeeded}
			require.NoError(t, s.RecordRun(ctx, &other))
			assert.Positive(t, other.ID)

			runs, err := s.Runs(ctx, "maintenance", page.Request{Limit: 2})
			require.NoError(t, err)
			assert.Equal(t, 4, runs.Total)
			require.Len(t, runs.Items, 2)
			assert.Equal(t, agent.Failed, runs.Items[0].Outcome)
			assert.Equal(t, map[string]int{"n": 9}, runs.Items[0].Counts)
			assert.Equal(t, agent.Skipped, runs.Items[1].Outcome)

			stats, err := s.Stats(ctx)
			require.NoError(t, err)
			m := stats["maintenance"]
			assert.Equal(t, 4, m.Runs)
			assert.Equal(t, 2, m.Failures)
			assert.Equal(t, agent.Failed, m.LastStatus)
			require.NotNil(t, m.LastRunAt)
			assert.Equal(t, at(3*time.Hour), *m.LastRunAt)
			assert.Equal(t, 3, stats["other"].Runs)

			require.NoError(t, s.RecordTask(ctx, "task-1", 7))
			owner, err := s.TaskOwner(ctx, "task-1")
			require.NoError(t, err)
			assert.Equal(t, int64(7), owner)
			_, err = s.TaskOwner(ctx, "nope")
			assert.Equal(t, fault.NotFound, fault.KindOf(err))
		})
	}
}
