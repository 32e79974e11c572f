// Package page holds the offset pagination every list endpoint shares.
package page

import "github.com/campus/campus/domain/fault"

// Bounds of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Request asks for one page of a stably ordered list.
type Request struct {
	Limit  int
	Offset int
}

// NewRequest validates limit and offset; a zero limit means the default.
func NewRequest(limit, offset int) (Request, error) {
	var v fault.Validation
	v.Check(limit >= 0 && limit <= MaxLimit, "limit", "must be between 1 and 200")
	v.Check(offset >= 0, "offset", "must not be negative")
	if limit == 0 {
		limit = DefaultLimit
	}
	return Request{Limit: limit, Offset: offset}, v.Err()
}

// Result is one page and the total number of matching items.
type Result[T any] struct {
	Items []T
	Total int
	Request
}
