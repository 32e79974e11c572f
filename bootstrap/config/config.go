// Package config loads the process's settings once, at start, from the
// environment and an optional .env file, checks them, and hands the rest of
// bootstrap a typed Config. Nothing else in the service reads the
// environment. The variable names are those of the first version of the
// service, so its .env files keep working.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	appagent "github.com/campus/campus/application/agent"

	// The campus calendar's zone must load in a scratch image that has no
	// zoneinfo of its own.
	_ "time/tzdata"
)

// Environment is the deployment kind; production turns on the strict checks.
type Environment string

// The three environments.
const (
	Development Environment = "development"
	Testing     Environment = "testing"
	Production  Environment = "production"
)

// MinSecretKeyBytes is the shortest SECRET_KEY production accepts: HS256
// keys shorter than the hash output weaken the signature.
const MinSecretKeyBytes = 32

// Config is every setting of the service. Sections are tagged env:"-" so
// that each is parsed on its own and a parse error can name its variable.
type Config struct {
	Env      Environment `env:"ENV" envDefault:"development" validate:"oneof=development testing production"`
	Debug    bool        `env:"DEBUG" envDefault:"false"`
	TimeZone string      `env:"TIMEZONE" envDefault:"UTC"`

	Server     Server     `env:"-"`
	Auth       Auth       `env:"-"`
	Database   Database   `env:"-"`
	Redis      Redis      `env:"-"`
	Cache      Cache      `env:"-"`
	Tasks      Tasks      `env:"-"`
	Log        Log        `env:"-"`
	Attendance Attendance `env:"-"`
	Risk       Risk       `env:"-"`

	location *time.Location
}

// Server is the HTTP listener and request handling.
type Server struct {
	Host string `env:"HOST" envDefault:"127.0.0.1"`
	Port int    `env:"PORT" envDefault:"8000" validate:"min=1,max=65535"`
	// CORSOrigins are the allowed browser origins; "*" allows any (refused
	// in production).
	CORSOrigins   []string `env:"CORS_ORIGINS"`
	MaxBodyBytes  int      `env:"MAX_BODY_BYTES" envDefault:"1048576" validate:"min=1"`
	SlowRequestMS int      `env:"SLOW_REQUEST_MS" envDefault:"1000" validate:"min=0"`
	// Pprof serves Go's profiler under /debug/pprof to admins.
	Pprof bool `env:"ENABLE_PPROF" envDefault:"false"`
}

// Auth is tokens, passwords and login throttling.
type Auth struct {
	// SecretKey signs tokens. Outside production an empty one is replaced
	// by a random key per start.
	SecretKey string `env:"SECRET_KEY"`
	// SecretKeyPrevious still verifies tokens during a key rotation.
	SecretKeyPrevious        string `env:"SECRET_KEY_PREVIOUS"`
	AccessTokenExpireMinutes int    `env:"ACCESS_TOKEN_EXPIRE_MINUTES" envDefault:"30" validate:"min=1"`
	RefreshTokenExpireDays   int    `env:"REFRESH_TOKEN_EXPIRE_DAYS" envDefault:"7" validate:"min=1"`
	// RefreshReuseGraceSeconds is how long a just-replaced refresh token
	// counts as a lost race between two tabs rather than as theft.
	RefreshReuseGraceSeconds int `env:"REFRESH_REUSE_GRACE_SECONDS" envDefault:"10" validate:"min=0"`
	BcryptCost               int `env:"BCRYPT_COST" envDefault:"12" validate:"min=4,max=31"`
	// PasswordMinLength cannot exceed bcrypt's 72-byte input.
	PasswordMinLength   int `env:"PASSWORD_MIN_LENGTH" envDefault:"8" validate:"min=1,max=72"`
	LoginMaxFailures    int `env:"LOGIN_MAX_FAILURES" envDefault:"5" validate:"min=1"`
	LoginLockoutSeconds int `env:"LOGIN_LOCKOUT_SECONDS" envDefault:"60" validate:"min=1"`
	RateLimitPerMinute  int `env:"AUTH_RATE_LIMIT_PER_MINUTE" envDefault:"30" validate:"min=1"`
	// SeedAdminPassword creates an admin account in production when set.
	SeedAdminPassword string `env:"SEED_ADMIN_PASSWORD"`

	generatedKey bool
}

// Database is the SQL store.
type Database struct {
	URL             string `env:"DATABASE_URL" envDefault:"sqlite:///./campus.db"`
	PoolSize        int    `env:"POOL_SIZE" envDefault:"5" validate:"min=1"`
	PoolMaxOverflow int    `env:"POOL_MAX_OVERFLOW" envDefault:"10" validate:"min=0"`
	Echo            bool   `env:"DATABASE_ECHO" envDefault:"false"`
}

// Redis backs the shared cache, rate limits and task queue; empty means the
// in-memory and in-process fallbacks of a single replica.
type Redis struct {
	URL string `env:"REDIS_URL" envDefault:""`
}

// Cache is read caching.
type Cache struct {
	Enabled    bool `env:"ENABLE_CACHING" envDefault:"true"`
	TTLSeconds int  `env:"CACHE_TTL" envDefault:"300" validate:"min=0"`
	// Prefix namespaces every key this deployment puts in Redis (cache
	// entries and rate-limit counters), so deployments can share a server.
	Prefix string `env:"CACHE_PREFIX" envDefault:"campus:"`
}

// Tasks is background work.
type Tasks struct {
	Enabled           bool `env:"ENABLE_BACKGROUND_TASKS" envDefault:"true"`
	WorkerConcurrency int  `env:"WORKER_CONCURRENCY" envDefault:"10" validate:"min=1"`
	// QueuePrefix namespaces the asynq queue names (critical, default,
	// low) so deployments or test runs can share one Redis; empty in
	// production keeps the plain names asynqmon shows.
	QueuePrefix string `env:"QUEUE_PREFIX" envDefault:""`
	// ExportDir holds export files when the database is SQLite (the
	// embedded mode); PostgreSQL deployments keep them in the database.
	ExportDir string `env:"EXPORT_DIR" envDefault:"./exports"`
	// Schedules overrides agents' schedules: "name=spec;name=spec", a spec
	// being what the scheduler takes (cron or "@every 30s"). Parsing checks
	// it (see AgentSchedules), so Load refuses a bad value.
	Schedules AgentSchedules `env:"AGENT_SCHEDULES" envDefault:""`
}

// Log is the log sinks.
type Log struct {
	// Level is normalised to upper case: DEBUG, INFO, WARNING, WARN, ERROR
	// or CRITICAL.
	Level      string `env:"LOG_LEVEL" envDefault:"INFO" validate:"oneof=DEBUG INFO WARNING WARN ERROR CRITICAL"`
	File       string `env:"LOG_FILE" envDefault:"logs/app.log"`
	MaxSizeMB  int    `env:"LOG_MAX_SIZE_MB" envDefault:"10" validate:"min=1"`
	MaxBackups int    `env:"LOG_MAX_BACKUPS" envDefault:"10" validate:"min=0"`
}

// Attendance is the QR check-in rules.
type Attendance struct {
	QRRotateSeconds  int `env:"QR_ROTATE_SECONDS" envDefault:"30" validate:"min=1"`
	LateAfterMinutes int `env:"LATE_AFTER_MINUTES" envDefault:"15" validate:"min=0"`
}

// Risk is the thresholds of the attendance-risk agent: a student whose
// 30-day attendance rate is below RISK_ATTENDANCE_WARN gets an open
// attendance risk (medium), high below RISK_ATTENDANCE_HIGH. Validate
// checks 0 < high < warn <= 1.
type Risk struct {
	AttendanceWarn float64 `env:"RISK_ATTENDANCE_WARN" envDefault:"0.75"`
	AttendanceHigh float64 `env:"RISK_ATTENDANCE_HIGH" envDefault:"0.60"`
}

// IsProduction reports whether the strict production rules apply.
func (c Config) IsProduction() bool { return c.Env == Production }

// IsDevelopment reports whether this is a developer's machine.
func (c Config) IsDevelopment() bool { return c.Env == Development }

// IsTesting reports whether this is a test run.
func (c Config) IsTesting() bool { return c.Env == Testing }

// SeedTestAccounts reports whether the fixed test accounts of the contract
// are created at start: everywhere but production.
func (c Config) SeedTestAccounts() bool { return !c.IsProduction() }

// Location is the campus calendar's time zone (UTC when TIMEZONE cannot be
// loaded, which Load refuses).
func (c Config) Location() *time.Location {
	if c.location != nil {
		return c.location
	}
	if loc, err := time.LoadLocation(c.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Addr is the listen address, host:port.
func (s Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// SlowRequest is the duration above which a request is logged as slow.
func (s Server) SlowRequest() time.Duration {
	return time.Duration(s.SlowRequestMS) * time.Millisecond
}

// AllowAnyOrigin reports whether CORS_ORIGINS contains "*".
func (s Server) AllowAnyOrigin() bool {
	for _, o := range s.CORSOrigins {
		if o == "*" {
			return true
		}
	}
	return false
}

// AccessTTL is the lifetime of an access token.
func (a Auth) AccessTTL() time.Duration {
	return time.Duration(a.AccessTokenExpireMinutes) * time.Minute
}

// RefreshTTL is the lifetime of a refresh token and of its session.
func (a Auth) RefreshTTL() time.Duration {
	return time.Duration(a.RefreshTokenExpireDays) * 24 * time.Hour
}

// ReuseGrace is the window in which a just-replaced refresh token counts as
// a lost race, not as reuse.
func (a Auth) ReuseGrace() time.Duration {
	return time.Duration(a.RefreshReuseGraceSeconds) * time.Second
}

// LockoutBase is the first lockout after LOGIN_MAX_FAILURES failures.
func (a Auth) LockoutBase() time.Duration {
	return time.Duration(a.LoginLockoutSeconds) * time.Second
}

// SigningKey is the current token key.
func (a Auth) SigningKey() []byte { return []byte(a.SecretKey) }

// PreviousKey is the key of before the last rotation, or nil.
func (a Auth) PreviousKey() []byte {
	if a.SecretKeyPrevious == "" {
		return nil
	}
	return []byte(a.SecretKeyPrevious)
}

// GeneratedKey reports whether SecretKey was made up at start because
// SECRET_KEY was empty.
func (a Auth) GeneratedKey() bool { return a.generatedKey }

// Driver is "sqlite" or "postgres" (for postgres:// and postgresql://).
func (d Database) Driver() string {
	if d.IsSQLite() {
		return "sqlite"
	}
	return "postgres"
}

// IsSQLite reports whether DATABASE_URL names a SQLite file.
func (d Database) IsSQLite() bool { return strings.HasPrefix(strings.ToLower(d.URL), "sqlite:") }

// SQLitePath is the file of a SQLite URL in SQLAlchemy's form:
// sqlite:///relative.db, sqlite:////absolute.db, and sqlite:// or
// sqlite:///:memory: for an in-memory database.
func (d Database) SQLitePath() string {
	rest := d.URL[len("sqlite:"):]
	rest = strings.TrimPrefix(rest, "//")
	rest = strings.TrimPrefix(rest, "/")
	if rest == "" {
		return ":memory:"
	}
	return rest
}

// MaxOpenConns is the pool's ceiling: the steady pool plus its overflow.
func (d Database) MaxOpenConns() int { return d.PoolSize + d.PoolMaxOverflow }

// MaxIdleConns is the steady pool size.
func (d Database) MaxIdleConns() int { return d.PoolSize }

// Enabled reports whether a Redis URL is configured.
func (r Redis) Enabled() bool { return r.URL != "" }

// TTL is how long a cached read lives.
func (c Cache) TTL() time.Duration { return time.Duration(c.TTLSeconds) * time.Second }

// QRRotate is how often a session's check-in code changes.
func (a Attendance) QRRotate() time.Duration {
	return time.Duration(a.QRRotateSeconds) * time.Second
}

// LateAfter is how long after a session starts a check-in counts as late.
func (a Attendance) LateAfter() time.Duration {
	return time.Duration(a.LateAfterMinutes) * time.Minute
}

// randomKey makes a per-start signing key: 32 random bytes, hex encoded so
// it stays printable text like a configured key.
func randomKey() string {
	b := make([]byte, MinSecretKeyBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes instead)
	return hex.EncodeToString(b)
}

// AgentSchedules is AGENT_SCHEDULES: an agent's name to the schedule that
// replaces its own, e.g. "maintenance=@every 2s;complaint-escalation=*/5 * * * *".
// The variable is parsed through UnmarshalText, so Load refuses (naming
// AGENT_SCHEDULES) a malformed pair, an unknown agent, an agent that runs
// on events only, a name given twice and a spec the schedulers cannot run.
type AgentSchedules map[string]string

// UnmarshalText parses and checks the variable's value.
func (s *AgentSchedules) UnmarshalText(text []byte) error {
	parsed, err := ParseAgentSchedules(string(text))
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

// String is the value in the variable's own form, names sorted (config
// check prints it so).
func (s AgentSchedules) String() string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	slices.Sort(names)
	pairs := make([]string, len(names))
	for i, n := range names {
		pairs[i] = n + "=" + s[n]
	}
	return strings.Join(pairs, ";")
}

// ParseAgentSchedules reads "name=spec;name=spec" (blank pairs are
// ignored; an empty value overrides nothing) and reports every problem.
// A name must be an agent that has a schedule of its own: an event-driven
// agent without one has no entry in the schedulers to override.
func ParseAgentSchedules(raw string) (AgentSchedules, error) {
	scheduled := map[string]bool{}
	var names []string
	for _, d := range appagent.Definitions() {
		if d.Schedule != "" {
			scheduled[d.Name] = true
			names = append(names, d.Name)
		}
	}
	out := AgentSchedules{}
	var errs []error
	for _, pair := range strings.Split(raw, ";") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		name, spec, ok := strings.Cut(pair, "=")
		name, spec = strings.TrimSpace(name), strings.TrimSpace(spec)
		switch _, dup := out[name]; {
		case !ok || name == "" || spec == "":
			errs = append(errs, fmt.Errorf("AGENT_SCHEDULES: %q is not a name=spec pair", strings.TrimSpace(pair)))
		case !scheduled[name]:
			errs = append(errs, fmt.Errorf("AGENT_SCHEDULES: %q is not an agent with a schedule (those are %s)", name, strings.Join(names, ", ")))
		case dup:
			errs = append(errs, fmt.Errorf("AGENT_SCHEDULES: %s is given twice", name))
		default:
			if err := checkSchedule(spec); err != nil {
				errs = append(errs, fmt.Errorf("AGENT_SCHEDULES: %s: %w", name, err))
				continue
			}
			out[name] = spec
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// checkSchedule accepts what both schedulers run: cron's standard parser
// (a 5-field spec in UTC, a descriptor such as @hourly, or "@every d"),
// which asynq's scheduler and the in-process one register specs with, and
// for "@every" a whole number of seconds, at least one: cron fires such a
// schedule on whole seconds, and a tick's id (adapters/queue.TickID) is
// its time truncated to d, so each period has one id however many
// schedulers run. Shorter or fractional periods would make ids collide.
func checkSchedule(spec string) error {
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("schedule %q: %w (want a 5-field cron spec or \"@every 30s\")", spec, err)
	}
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		every, err := time.ParseDuration(d)
		if err != nil || every < time.Second || every%time.Second != 0 {
			return fmt.Errorf("schedule %q: @every takes a whole number of seconds, at least 1s", spec)
		}
	}
	return nil
}
