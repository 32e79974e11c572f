// Package attendance holds the attendance use cases (being built in this slices).
package attendance

// Deps are the ports the service uses.
type Deps struct{}

// Service implements the attendance use cases.
type Service struct{ d Deps }

// NewService builds the service.
func NewService(d Deps) *Service { return &Service{d: d} }
