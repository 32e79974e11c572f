package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/campus/campus/adapters/redisconn"
)

// Error lists every problem found in the configuration, so an operator
// fixes them all in one go instead of one per restart.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Validate checks c and returns an *Error listing every problem: values out
// of range, unknown names, unusable URLs or time zone, and in production
// the settings that are safe only on a developer's machine.
func (c Config) Validate() error {
	problems := c.usabilityProblems()
	if c.IsProduction() {
		problems = append(problems, c.productionProblems()...)
	}
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	return nil
}

// usabilityProblems are the faults that make a configuration unusable in
// any environment; Load refuses them. The production rules are left to
// Validate, so `config check` can still print what it would refuse.
func (c Config) usabilityProblems() []string {
	return append(c.rangeProblems(), c.valueProblems()...)
}

// validate is built once: the validator caches struct layouts.
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Report fields by their variable names, the only names operators see.
	v.RegisterTagNameFunc(envName)
	return v
}()

// rangeProblems applies the struct tags: ranges and allowed names.
func (c Config) rangeProblems() []string {
	err := validate.Struct(c)
	var verrs validator.ValidationErrors
	if err == nil || !errors.As(err, &verrs) {
		if err != nil {
			return []string{err.Error()}
		}
		return nil
	}
	out := make([]string, 0, len(verrs))
	for _, fe := range verrs {
		name, got := fe.Field(), fe.Value()
		switch fe.Tag() {
		case "oneof":
			out = append(out, fmt.Sprintf("%s must be one of %s (got %q)", name, strings.ReplaceAll(fe.Param(), " ", ", "), got))
		case "min":
			out = append(out, fmt.Sprintf("%s must be at least %s (got %v)", name, fe.Param(), got))
		case "max":
			out = append(out, fmt.Sprintf("%s must be at most %s (got %v)", name, fe.Param(), got))
		default:
			out = append(out, fmt.Sprintf("%s is invalid (%s)", name, fe.Tag()))
		}
	}
	return out
}

// valueProblems checks what tags cannot: URLs, the time zone, origins.
// Messages never echo a URL, which may hold a password.
func (c Config) valueProblems() []string {
	var out []string
	if p := checkURL("DATABASE_URL", c.Database.URL, []string{"sqlite", "postgres", "postgresql"}); p != "" {
		out = append(out, p)
	} else if c.Database.IsSQLite() && c.Database.SQLitePath() == "" {
		out = append(out, "DATABASE_URL names no SQLite file")
	}
	if c.Redis.URL != "" {
		// The adapters' own parser: what passes here is what they open.
		if _, err := redisconn.Parse(c.Redis.URL); err != nil {
			out = append(out, "REDIS_URL: "+err.Error())
		}
	}
	if c.TimeZone == "" {
		out = append(out, "TIMEZONE must not be empty (use UTC or an IANA name such as Europe/Berlin)")
	} else if _, err := time.LoadLocation(c.TimeZone); err != nil {
		out = append(out, fmt.Sprintf("TIMEZONE %q is not a known time zone (use an IANA name such as Europe/Berlin)", c.TimeZone))
	}
	if r := c.Risk; math.IsNaN(r.AttendanceHigh) || math.IsNaN(r.AttendanceWarn) ||
		r.AttendanceHigh <= 0 || r.AttendanceHigh >= r.AttendanceWarn || r.AttendanceWarn > 1 {
		out = append(out, fmt.Sprintf("RISK_ATTENDANCE_HIGH and RISK_ATTENDANCE_WARN must satisfy 0 < high < warn <= 1 (got high %v, warn %v)",
			r.AttendanceHigh, r.AttendanceWarn))
	}
	for _, o := range c.Server.CORSOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			out = append(out, fmt.Sprintf("CORS_ORIGINS entry %q is not an origin like https://app.example.edu", o))
		}
	}
	return out
}

func checkURL(name, raw string, schemes []string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return name + " is not a valid URL"
	}
	if !slices.Contains(schemes, strings.ToLower(u.Scheme)) {
		return fmt.Sprintf("%s must start with %s:// (got scheme %q)", name, strings.Join(schemes, ":// or "), u.Scheme)
	}
	return ""
}

// productionProblems are the rules of the contract for ENV=production.
func (c Config) productionProblems() []string {
	var out []string
	switch n := len(c.Auth.SecretKey); {
	case n == 0:
		out = append(out, "SECRET_KEY is required in production")
	case n < MinSecretKeyBytes:
		out = append(out, fmt.Sprintf("SECRET_KEY must be at least %d bytes in production (got %d)", MinSecretKeyBytes, n))
	}
	if c.Debug {
		out = append(out, "DEBUG must be false in production")
	}
	if c.Database.IsSQLite() {
		out = append(out, "DATABASE_URL must not be SQLite in production (use postgres://)")
	}
	if c.Redis.URL == "" {
		out = append(out, "REDIS_URL is required in production (replicas must share the cache, rate limits and task queue)")
	}
	if c.Server.AllowAnyOrigin() {
		out = append(out, `CORS_ORIGINS must not contain "*" in production (list the allowed origins)`)
	}
	if c.Auth.BcryptCost < 10 {
		out = append(out, fmt.Sprintf("BCRYPT_COST must be at least 10 in production (got %d)", c.Auth.BcryptCost))
	}
	return out
}
