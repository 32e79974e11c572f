package store

import "github.com/google/wire"

// clubSet provides the club repositories (bound to their ports).
var clubSet = wire.NewSet()
