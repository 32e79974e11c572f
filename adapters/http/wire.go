package httpapi

import "github.com/google/wire"

// ProviderSet builds the HTTP server from its Config and Deps.
var ProviderSet = wire.NewSet(NewServer, wire.Struct(new(Deps), "*"))
