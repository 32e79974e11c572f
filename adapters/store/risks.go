package store

import "github.com/google/wire"

// riskSet provides the risk repositories (bound to their ports).
var riskSet = wire.NewSet()
