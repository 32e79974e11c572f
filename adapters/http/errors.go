package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/domain/fault"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string        `json:"type"`
	Title     string        `json:"title"`
	Status    int           `json:"status"`
	Detail    string        `json:"detail"`
	Errors    []FieldErrDTO `json:"errors,omitempty"`
	RequestID string        `json:"request_id,omitempty"`
	Extra     any           `json:"conflicts,omitempty"`
}

// FieldErrDTO names one invalid input field.
type FieldErrDTO struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

var kindStatus = map[fault.Kind]int{
	fault.Invalid:         http.StatusUnprocessableEntity,
	fault.NotFound:        http.StatusNotFound,
	fault.Conflict:        http.StatusConflict,
	fault.Forbidden:       http.StatusForbidden,
	fault.Unauthenticated: http.StatusUnauthorized,
	fault.Throttled:       http.StatusTooManyRequests,
	fault.Unavailable:     http.StatusServiceUnavailable,
	fault.BadRequest:      http.StatusBadRequest,
	fault.TooLarge:        http.StatusRequestEntityTooLarge,
}

// errorHandler is the one place errors become responses: domain kinds map
// to status codes, fiber's own errors keep theirs, anything else is a 500
// whose text stays in the log.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p := Problem{Type: "about:blank", RequestID: requestID(c)}
		var fe *fault.Error
		var fbe *fiber.Error
		switch {
		case errors.As(err, &fe) && fe.Kind != fault.Unknown:
			p.Status = kindStatus[fe.Kind]
			p.Detail = fe.Message
			for _, f := range fe.Fields {
				p.Errors = append(p.Errors, FieldErrDTO{Field: f.Field, Message: f.Message})
			}
			p.Extra = fe.Detail
			if fe.RetryAfter > 0 {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(fe.RetryAfter.Seconds()+0.999)))
			}
			if p.Status >= 500 {
				log.Warn("dependency unavailable", "error", err.Error(), "request_id", p.RequestID, "path", c.Path())
			}
		case errors.As(err, &fbe):
			p.Status = fbe.Code
			p.Detail = fiberDetail(fbe)
		default:
			p.Status = http.StatusInternalServerError
			p.Detail = "An internal error occurred; quote the request_id when reporting it"
			log.Error("request failed", "error", err.Error(), "request_id", p.RequestID,
				"method", c.Method(), "path", c.Path())
		}
		if p.Status < 500 {
			p.RequestID = ""
		}
		p.Title = http.StatusText(p.Status)
		if p.Detail == "" {
			p.Detail = p.Title
		}
		c.Status(p.Status)
		c.Set(fiber.HeaderContentType, "application/problem+json")
		body, merr := c.App().Config().JSONEncoder(p)
		if merr != nil {
			return c.SendString(`{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"An internal error occurred"}`)
		}
		return c.Send(body)
	}
}

func fiberDetail(e *fiber.Error) string {
	if e.Message != http.StatusText(e.Code) {
		return e.Message // a handler's own words
	}
	switch e.Code {
	case fiber.StatusNotFound:
		return "No such route"
	case fiber.StatusMethodNotAllowed:
		return "Method not allowed on this route"
	case fiber.StatusRequestEntityTooLarge:
		return "Request body is too large"
	case fiber.StatusUnsupportedMediaType:
		return "Content-Type must be application/json"
	case fiber.StatusTooManyRequests:
		return "Too many requests; slow down"
	}
	return e.Message
}

// problemOf builds the error for a field-level input failure.
func invalidField(field, message string) error {
	return &fault.Error{Kind: fault.Invalid, Message: field + ": " + message,
		Fields: []fault.FieldError{{Field: field, Message: message}}}
}
