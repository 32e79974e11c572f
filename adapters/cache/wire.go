package cache

import (
	"github.com/google/wire"

	"github.com/campus/campus/ports"
)

// ProviderSet provides the cache (from a cache.Config) as ports.Cache.
var ProviderSet = wire.NewSet(New, wire.Bind(new(ports.Cache), new(*Cache)))
