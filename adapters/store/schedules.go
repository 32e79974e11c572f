package store

import "github.com/google/wire"

// scheduleSet provides the schedule repositories (bound to their ports).
var scheduleSet = wire.NewSet()
