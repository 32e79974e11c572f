package token

import (
	"github.com/google/wire"

	"github.com/campus/campus/ports"
)

// ProviderSet provides the codec as ports.TokenCodec. It takes Keys and the
// application's ports.Clock from the graph, so tokens are checked on the
// same clock they are stamped with.
var ProviderSet = wire.NewSet(
	NewCodecWithClock,
	wire.Bind(new(ports.TokenCodec), new(*Codec)),
)
