package store

import "github.com/google/wire"

// complaintSet provides the complaint repositories (bound to their ports).
var complaintSet = wire.NewSet()
