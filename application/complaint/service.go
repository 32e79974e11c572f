// Package complaint holds the complaint use cases (being built in this slices).
package complaint

// Deps are the ports the service uses.
type Deps struct{}

// Service implements the complaint use cases.
type Service struct{ d Deps }

// NewService builds the service.
func NewService(d Deps) *Service { return &Service{d: d} }
