package store

import "github.com/google/wire"

// attendanceSet provides the attendance repositories (bound to their ports).
var attendanceSet = wire.NewSet()
