package cache

import (
	"github.com/campus/campus/ports"
	"github.com/google/wire"
)

// ProviderSet provides the cache (from a cache.Config) as ports.Cache.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.Cache), new(*Cache)))
