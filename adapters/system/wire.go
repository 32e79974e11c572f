package system

import (
	"github.com/google/wire"

	"github.com/campus/campus/ports"
)

// ProviderSet provides the wall clock and the id generator as the core's
// ports.Clock and ports.IDGenerator.
var ProviderSet = wire.NewSet(
	NewClock,
	wire.Bind(new(ports.Clock), new(*Clock)),
	NewIDs,
	wire.Bind(new(ports.IDGenerator), new(*IDs)),
)
