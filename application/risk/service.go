// Package risk holds the risk use cases (being built in this slices).
package risk

// Deps are the ports the service uses.
type Deps struct{}

// Service implements the risk use cases.
type Service struct{ d Deps }

// NewService builds the service.
func NewService(d Deps) *Service { return &Service{d: d} }
