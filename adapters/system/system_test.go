package system

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/campus/campus/ports"
)

var (
	_ ports.Clock       = (*Clock)(nil)
	_ ports.IDGenerator = (*IDs)(nil)
)

func TestClockIsUTC(t *testing.T) {
	now := NewClock().Now()
	if now.Location() != time.UTC {
		t.Fatalf("location = %v, want UTC", now.Location())
	}
	if d := time.Since(now); d < 0 || d > time.Minute {
		t.Fatalf("clock is off by %v", d)
	}
}

func TestIDsAreUniqueV7AndOrdered(t *testing.T) {
	ids := NewIDs()
	seen := make(map[string]bool)
	prev := ""
	for range 1000 {
		id := ids.NewID()
		u, err := uuid.Parse(id)
		if err != nil {
			t.Fatalf("parse %q: %v", id, err)
		}
		if u.Version() != 7 {
			t.Fatalf("version = %d, want 7", u.Version())
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		// uuid's V7 keeps a monotonic sequence within a process, so ids
		// sort in creation order.
		if id <= prev {
			t.Fatalf("ids not ordered: %q after %q", id, prev)
		}
		prev = id
	}
}
