package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/page"
)

// validate checks the shape of request DTOs (presence, lengths); business
// rules are the domain's.
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}()

// decode reads a JSON body into dst and validates it. A wrong content type
// is 415, broken JSON 400, a wrongly typed or missing field 422.
func decode(c *fiber.Ctx, dst any) error {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	body := c.Body()
	if len(body) == 0 {
		return fault.New(fault.BadRequest, "Request body is required")
	}
	if ct != fiber.MIMEApplicationJSON && !strings.HasSuffix(ct, "+json") {
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "Content-Type must be application/json")
	}
	// PostgreSQL cannot store NUL in text; refuse it here for every route.
	if bytes.Contains(body, []byte(`\u0000`)) {
		return fault.New(fault.Invalid, "Text must not contain NUL characters (\\u0000)")
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return invalidField(te.Field, "must be "+jsonKind(te.Type))
		}
		return fault.New(fault.BadRequest, "Malformed JSON body")
	}
	return check(dst)
}

func check(dst any) error {
	err := validate.Struct(dst)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return fault.New(fault.BadRequest, "Malformed request")
	}
	var v fault.Validation
	for _, fe := range ves {
		v.Add(fe.Field(), ruleMessage(fe))
	}
	return v.Err()
}

func ruleMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		if fe.Kind() == reflect.String {
			return "must be at least " + fe.Param() + " characters"
		}
		return "must be at least " + fe.Param()
	case "max":
		if fe.Kind() == reflect.String {
			return "must be at most " + fe.Param() + " characters"
		}
		return "must be at most " + fe.Param()
	case "email":
		return "must be a valid email address"
	}
	return "is invalid (" + fe.Tag() + ")"
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// query reads typed query parameters, collecting every error.
type query struct {
	c *fiber.Ctx
	v fault.Validation
}

func newQuery(c *fiber.Ctx) *query { return &query{c: c} }

func (q *query) str(name string) string { return strings.TrimSpace(q.c.Query(name)) }

func (q *query) intp(name string) *int {
	s := q.str(name)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		q.v.Add(name, "must be an integer")
		return nil
	}
	return &n
}

func (q *query) int64p(name string) *int64 {
	s := q.str(name)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		q.v.Add(name, "must be a positive integer")
		return nil
	}
	return &n
}

func (q *query) boolp(name string) *bool {
	s := q.str(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.v.Add(name, "must be true or false")
		return nil
	}
	return &b
}

// timep parses an RFC 3339 time or a calendar date; a date as the upper
// bound of an inclusive range means the end of that day.
func (q *query) timep(name string, endOfDay bool) *time.Time {
	s := q.str(name)
	if s == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		t = t.UTC()
		return &t
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		q.v.Add(name, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
		return nil
	}
	if endOfDay {
		d = d.Add(24*time.Hour - time.Nanosecond)
	}
	return &d
}

func (q *query) page() page.Request {
	limit, offset := 0, 0
	if p := q.intp("limit"); p != nil {
		limit = *p
		if limit == 0 {
			q.v.Add("limit", "must be between 1 and 200")
		}
	}
	if p := q.intp("offset"); p != nil {
		offset = *p
	}
	r, err := page.NewRequest(limit, offset)
	if err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			for _, f := range fe.Fields {
				q.v.Add(f.Field, f.Message)
			}
		}
	}
	return r
}

func (q *query) err() error { return q.v.Err() }

// pathID reads a positive integer path parameter.
func pathID(c *fiber.Ctx, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, fault.New(fault.NotFound, fmt.Sprintf("No resource with %s %q", name, c.Params(name)))
	}
	return n, nil
}

// list renders a page with the envelope, X-Total-Count and an RFC 8288 Link.
func list[T, D any](c *fiber.Ctx, r page.Result[T], conv func(T) D) error {
	items := make([]D, len(r.Items))
	for i, x := range r.Items {
		items[i] = conv(x)
	}
	c.Set("X-Total-Count", strconv.Itoa(r.Total))
	if link := linkHeader(c, r.Total, r.Limit, r.Offset); link != "" {
		c.Set("Link", link)
	}
	return c.JSON(ListDTO[D]{Items: items, Total: r.Total, Limit: r.Limit, Offset: r.Offset})
}

func linkHeader(c *fiber.Ctx, total, limit, offset int) string {
	var parts []string
	mk := func(off int, rel string) {
		args := c.Request().URI().QueryArgs()
		q := make([]string, 0, args.Len()+2)
		args.VisitAll(func(k, v []byte) {
			key := string(k)
			if key != "limit" && key != "offset" {
				q = append(q, key+"="+url.QueryEscape(string(v)))
			}
		})
		q = append(q, "limit="+strconv.Itoa(limit), "offset="+strconv.Itoa(off))
		parts = append(parts, fmt.Sprintf(`<%s?%s>; rel="%s"`, c.Path(), strings.Join(q, "&"), rel))
	}
	if offset+limit < total {
		mk(offset+limit, "next")
	}
	if offset > 0 {
		prev := offset - limit
		if prev < 0 {
			prev = 0
		}
		mk(prev, "prev")
	}
	return strings.Join(parts, ", ")
}
