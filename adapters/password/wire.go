package password

import (
	"github.com/google/wire"

	"github.com/campus/campus/ports"
)

// Cost is the configured bcrypt cost (BCRYPT_COST), a named type so that
// the injector graph does not carry a bare int.
type Cost int

// ProvideHasher is NewHasher for the injector graph.
func ProvideHasher(cost Cost) (*Hasher, error) { return NewHasher(int(cost)) }

// ProviderSet provides the hasher as ports.PasswordHasher.
var ProviderSet = wire.NewSet(
	ProvideHasher,
	wire.Bind(new(ports.PasswordHasher), new(*Hasher)),
)
