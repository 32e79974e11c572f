package bootstrap

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/campus/campus/adapters/queue"
	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/bootstrap/config"
)

// TestPeriodicAppliesAgentSchedules: an override changes the spec of that
// agent's entry only; the entries stay one per scheduled agent (what
// /health/full's tasks_count counts), under the agent's name and job type.
func TestPeriodicAppliesAgentSchedules(t *testing.T) {
	defaults := periodic(nil)
	var scheduled int
	for _, d := range appagent.Definitions() {
		if d.Schedule != "" {
			scheduled++
		}
	}
	if len(defaults) != scheduled || scheduled == 0 {
		t.Fatalf("%d entries for %d scheduled agents", len(defaults), scheduled)
	}
	overrides, err := config.ParseAgentSchedules("maintenance=@every 2s;complaint-escalation=*/5 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	got := periodic(overrides)
	if len(got) != len(defaults) {
		t.Fatalf("%d entries with overrides, %d without", len(got), len(defaults))
	}
	for i, p := range got {
		d := defaults[i]
		want := d.Spec
		switch p.Name {
		case appagent.Maintenance:
			want = "@every 2s"
		case appagent.ComplaintEscalation:
			want = "*/5 * * * *"
		}
		if p.Name != d.Name || p.JobType != d.JobType || p.Queue != d.Queue || p.Spec != want {
			t.Errorf("entry %d = %+v, want %+v with spec %q", i, p, d, want)
		}
	}
}

// TestAcceptedSchedulesHaveTickIDs: every spec AGENT_SCHEDULES accepts is
// one the schedulers take (queue.TickID runs the check both schedulers
// apply before registering an entry).
func TestAcceptedSchedulesHaveTickIDs(t *testing.T) {
	for _, spec := range []string{"@every 1s", "@every 2s", "@every 7s", "@every 90s", "@every 1h", "*/5 * * * *", "30 1 * * *", "@hourly", "@daily"} {
		o, err := config.ParseAgentSchedules("maintenance=" + spec)
		if err != nil {
			t.Fatalf("%q refused: %v", spec, err)
		}
		for _, p := range periodic(o) {
			if _, err := queue.TickID(p, time.Now()); err != nil {
				t.Errorf("%s %q: %v", p.Name, p.Spec, err)
			}
		}
	}
}

// TestOverriddenTicksOncePerPeriodAcrossSchedulers replays what several
// schedulers started at different moments do with one entry: each fires
// on the cron schedule the way robfig/cron's runner does (the next
// activation computed from the moment the last one fired, a little late)
// and names the tick with queue.TickID at that moment, as both schedulers
// do before enqueuing. The queue keeps one task per id, so for one task
// per tick: no scheduler may give two of its ticks one id (one would be
// lost), and every scheduler running through a period must give that
// period's tick the same id (else it would run once per scheduler).
func TestOverriddenTicksOncePerPeriodAcrossSchedulers(t *testing.T) {
	origin := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	// Start offsets of the schedulers, not on whole seconds, and the
	// lateness of each firing (a timer fires after its time, never before).
	starts := []time.Duration{0, 300 * time.Millisecond, 1700 * time.Millisecond, 4*time.Second + 999*time.Millisecond, 61 * time.Second}
	late := func(s, i int) time.Duration { return time.Duration((s*131+i*37)%400+1) * time.Millisecond }
	for _, spec := range []string{"@every 1s", "@every 2s", "@every 7s", "@every 90s", "*/5 * * * *", "*/15 * * * *"} {
		t.Run(spec, func(t *testing.T) {
			o, err := config.ParseAgentSchedules("maintenance=" + spec)
			if err != nil {
				t.Fatal(err)
			}
			var p queue.Periodic
			for _, e := range periodic(o) {
				if e.Name == appagent.Maintenance {
					p = e
				}
			}
			sched, err := cron.ParseStandard(p.Spec)
			if err != nil {
				t.Fatal(err)
			}
			horizon := origin.Add(2 * time.Hour)
			ids := make([]map[string]time.Time, len(starts)) // per scheduler: tick id -> firing
			var first, last []time.Time
			for s, start := range starts {
				ids[s] = map[string]time.Time{}
				now := origin.Add(start)
				next := sched.Next(now)
				for i := 0; next.Before(horizon); i++ {
					now = next.Add(late(s, i))
					id, err := queue.TickID(p, now)
					if err != nil {
						t.Fatal(err)
					}
					if prev, dup := ids[s][id]; dup {
						t.Fatalf("scheduler %d named its ticks at %s and %s both %s: one would be lost", s, prev, now, id)
					}
					ids[s][id] = now
					if i == 0 {
						first = append(first, now)
					}
					next = sched.Next(now)
				}
				last = append(last, now)
			}
			// In the time every scheduler was running, each gave the same ids.
			from, to := first[len(first)-1], last[0]
			for _, l := range last {
				if l.Before(to) {
					to = l
				}
			}
			common := 0
			for id, at := range ids[0] {
				if at.Before(from) || at.After(to) {
					continue
				}
				common++
				for s := 1; s < len(starts); s++ {
					if _, ok := ids[s][id]; !ok {
						t.Fatalf("scheduler 0 fired tick %s at %s, scheduler %d has no tick of that id: it would run twice", id, at, s)
					}
				}
			}
			if common < 2 {
				t.Fatalf("only %d ticks in the common window %s–%s", common, from, to)
			}
			t.Logf("%d ticks named alike by %d schedulers", common, len(starts))
		})
	}
}
