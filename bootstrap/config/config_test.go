package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// from is a lookup over a fixed map, standing in for the process
// environment.
func from(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func load(t *testing.T, vars map[string]string) (Config, []string) {
	t.Helper()
	c, warnings, err := LoadFrom(from(vars), "")
	if err != nil {
		t.Fatalf("LoadFrom: %v", err)
	}
	return c, warnings
}

// loadErr loads vars and validates them as serve and config check do: Load
// refuses unusable values, Validate adds the production rules.
func loadErr(t *testing.T, vars map[string]string) *Error {
	t.Helper()
	c, _, err := LoadFrom(from(vars), "")
	if err == nil {
		err = c.Validate()
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *config.Error", err)
	}
	return ce
}

func hasProblem(e *Error, fragments ...string) bool {
	for _, p := range e.Problems {
		ok := true
		for _, f := range fragments {
			ok = ok && strings.Contains(p, f)
		}
		if ok {
			return true
		}
	}
	return false
}

// validProduction is a production environment that passes every rule.
func validProduction() map[string]string {
	return map[string]string{
		"ENV":          "production",
		"SECRET_KEY":   strings.Repeat("k", 32),
		"DATABASE_URL": "postgres://campus:pw@db:5432/campus?sslmode=disable",
		"REDIS_URL":    "redis://cache:6379/0",
		"CORS_ORIGINS": "https://app.example.edu",
	}
}

func TestDefaults(t *testing.T) {
	c, warnings := load(t, nil)
	want := map[string]any{
		"Env": Development, "Debug": false, "TimeZone": "UTC",
		"Host": "127.0.0.1", "Port": 8000, "MaxBodyBytes": 1048576, "SlowRequestMS": 1000,
		"AccessTokenExpireMinutes": 30, "RefreshTokenExpireDays": 7, "RefreshReuseGraceSeconds": 10,
		"BcryptCost": 12, "PasswordMinLength": 8, "LoginMaxFailures": 5, "LoginLockoutSeconds": 60,
		"RateLimitPerMinute": 30, "DatabaseURL": "sqlite:///./campus.db", "PoolSize": 5,
		"PoolMaxOverflow": 10, "Echo": false, "RedisURL": "", "CacheEnabled": true, "TTLSeconds": 300,
		"TasksEnabled": true, "WorkerConcurrency": 10, "Level": "INFO", "File": "logs/app.log",
		"MaxSizeMB": 10, "MaxBackups": 10, "QRRotateSeconds": 30, "LateAfterMinutes": 15,
		"AttendanceWarn": 0.75, "AttendanceHigh": 0.60,
	}
	got := map[string]any{
		"Env": c.Env, "Debug": c.Debug, "TimeZone": c.TimeZone,
		"Host": c.Server.Host, "Port": c.Server.Port, "MaxBodyBytes": c.Server.MaxBodyBytes, "SlowRequestMS": c.Server.SlowRequestMS,
		"AccessTokenExpireMinutes": c.Auth.AccessTokenExpireMinutes, "RefreshTokenExpireDays": c.Auth.RefreshTokenExpireDays,
		"RefreshReuseGraceSeconds": c.Auth.RefreshReuseGraceSeconds, "BcryptCost": c.Auth.BcryptCost,
		"PasswordMinLength": c.Auth.PasswordMinLength, "LoginMaxFailures": c.Auth.LoginMaxFailures,
		"LoginLockoutSeconds": c.Auth.LoginLockoutSeconds, "RateLimitPerMinute": c.Auth.RateLimitPerMinute,
		"DatabaseURL": c.Database.URL, "PoolSize": c.Database.PoolSize, "PoolMaxOverflow": c.Database.PoolMaxOverflow,
		"Echo": c.Database.Echo, "RedisURL": c.Redis.URL, "CacheEnabled": c.Cache.Enabled, "TTLSeconds": c.Cache.TTLSeconds,
		"TasksEnabled": c.Tasks.Enabled, "WorkerConcurrency": c.Tasks.WorkerConcurrency, "Level": c.Log.Level,
		"File": c.Log.File, "MaxSizeMB": c.Log.MaxSizeMB, "MaxBackups": c.Log.MaxBackups,
		"QRRotateSeconds": c.Attendance.QRRotateSeconds, "LateAfterMinutes": c.Attendance.LateAfterMinutes,
		"AttendanceWarn": c.Risk.AttendanceWarn, "AttendanceHigh": c.Risk.AttendanceHigh,
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	if c.Server.CORSOrigins != nil || c.Auth.SecretKeyPrevious != "" || c.Auth.SeedAdminPassword != "" {
		t.Errorf("unexpected non-empty defaults: %+v", c)
	}
	// Helpers.
	if c.Server.Addr() != "127.0.0.1:8000" || c.Auth.AccessTTL() != 30*time.Minute ||
		c.Auth.RefreshTTL() != 7*24*time.Hour || c.Auth.ReuseGrace() != 10*time.Second ||
		c.Cache.TTL() != 5*time.Minute || c.Server.SlowRequest() != time.Second ||
		c.Attendance.QRRotate() != 30*time.Second || c.Attendance.LateAfter() != 15*time.Minute ||
		c.Auth.LockoutBase() != time.Minute || c.Location() != time.UTC {
		t.Errorf("helpers disagree with defaults")
	}
	if !c.IsDevelopment() || c.IsProduction() || c.IsTesting() || !c.SeedTestAccounts() || c.Redis.Enabled() {
		t.Errorf("environment helpers wrong")
	}
	if c.Database.Driver() != "sqlite" || c.Database.SQLitePath() != "./campus.db" ||
		c.Database.MaxOpenConns() != 15 || c.Database.MaxIdleConns() != 5 {
		t.Errorf("database helpers wrong: %s %s", c.Database.Driver(), c.Database.SQLitePath())
	}
	// The random development key.
	if !slices.Equal(warnings, []string{WarnRandomKey}) {
		t.Errorf("warnings = %q", warnings)
	}
	if len(c.Auth.SigningKey()) < MinSecretKeyBytes || !c.Auth.GeneratedKey() || c.Auth.PreviousKey() != nil {
		t.Errorf("random key not set up: %d bytes", len(c.Auth.SigningKey()))
	}
	c2, _ := load(t, nil)
	if c2.Auth.SecretKey == c.Auth.SecretKey {
		t.Error("random key repeats across starts")
	}
}

func TestOverrides(t *testing.T) {
	c, warnings := load(t, map[string]string{
		"ENV": "Testing", "DEBUG": "yes", "HOST": "0.0.0.0", "PORT": "9000",
		"SECRET_KEY": strings.Repeat("s", 40), "SECRET_KEY_PREVIOUS": "old-key",
		"CORS_ORIGINS": " http://localhost:3000/ , https://app.example.edu,,",
		"LOG_LEVEL":    "warning", "TIMEZONE": "Europe/Berlin", "DATABASE_URL": "postgresql://u:p@h/db",
		"REDIS_URL": "rediss://:pw@r:6380/1", "ENABLE_CACHING": "False", "DATABASE_ECHO": "1",
		"MAX_BODY_BYTES": "2048", "REFRESH_REUSE_GRACE_SECONDS": "0",
	})
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	if c.Env != Testing || !c.Debug || c.Server.Addr() != "0.0.0.0:9000" || c.Log.Level != "WARNING" ||
		c.Cache.Enabled || !c.Database.Echo || c.Server.MaxBodyBytes != 2048 || c.Auth.ReuseGrace() != 0 {
		t.Errorf("overrides not applied: %+v", c)
	}
	if !slices.Equal(c.Server.CORSOrigins, []string{"http://localhost:3000", "https://app.example.edu"}) {
		t.Errorf("CORS_ORIGINS = %q", c.Server.CORSOrigins)
	}
	if c.Location().String() != "Europe/Berlin" || c.Database.Driver() != "postgres" || !c.Redis.Enabled() {
		t.Errorf("derived values wrong")
	}
	if string(c.Auth.PreviousKey()) != "old-key" || c.Auth.GeneratedKey() {
		t.Errorf("keys wrong")
	}
}

func TestShortKeyOutsideProductionWarns(t *testing.T) {
	_, warnings := load(t, map[string]string{"SECRET_KEY": "dev"})
	if len(warnings) != 1 || !strings.Contains(warnings[0], "at least 32") {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestDotEnvPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	content := "# first version's file\nPORT=9100\nHOST=0.0.0.0\nexport LOG_LEVEL=debug\nSECRET_KEY=\"from-dotenv-0123456789abcdef0123456789\"\nUNRELATED=x\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := LoadFrom(from(map[string]string{"PORT": "9200", "UNRELATED": "y"}), path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Port != 9200 {
		t.Errorf("PORT = %d: the environment must win over .env", c.Server.Port)
	}
	if c.Server.Host != "0.0.0.0" || c.Log.Level != "DEBUG" || c.Auth.SecretKey != "from-dotenv-0123456789abcdef0123456789" {
		t.Errorf(".env values not used: %+v", c)
	}
	// A missing file is no error.
	if _, _, err := LoadFrom(from(nil), filepath.Join(dir, "missing.env")); err != nil {
		t.Errorf("missing .env: %v", err)
	}
	// An unreadable one is.
	if _, _, err := LoadFrom(from(nil), dir); err == nil {
		t.Error("a directory as .env was accepted")
	}
}

func TestLoadReadsWorkingDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile(".env", []byte("QR_ROTATE_SECONDS=45\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LATE_AFTER_MINUTES", "20")
	t.Setenv("QR_ROTATE_SECONDS", "")
	os.Unsetenv("QR_ROTATE_SECONDS")
	c, _, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Attendance.QRRotateSeconds != 45 || c.Attendance.LateAfterMinutes != 20 {
		t.Errorf("got %+v", c.Attendance)
	}
}

func TestProductionValid(t *testing.T) {
	c, warnings := load(t, validProduction())
	if !c.IsProduction() || c.SeedTestAccounts() || len(warnings) != 0 {
		t.Errorf("production config: %+v %q", c, warnings)
	}
}

func TestProductionRules(t *testing.T) {
	cases := []struct {
		name    string
		change  map[string]string
		problem []string
	}{
		{"missing key", map[string]string{"SECRET_KEY": ""}, []string{"SECRET_KEY", "required"}},
		{"short key", map[string]string{"SECRET_KEY": "short"}, []string{"SECRET_KEY", "at least 32", "got 5"}},
		{"debug", map[string]string{"DEBUG": "true"}, []string{"DEBUG"}},
		{"sqlite", map[string]string{"DATABASE_URL": "sqlite:///./campus.db"}, []string{"DATABASE_URL", "SQLite"}},
		{"no redis", map[string]string{"REDIS_URL": ""}, []string{"REDIS_URL", "required"}},
		{"any origin", map[string]string{"CORS_ORIGINS": "https://a.example.edu,*"}, []string{"CORS_ORIGINS", `"*"`}},
		{"weak bcrypt", map[string]string{"BCRYPT_COST": "9"}, []string{"BCRYPT_COST", "at least 10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vars := validProduction()
			for k, v := range tc.change {
				vars[k] = v
			}
			e := loadErr(t, vars)
			if len(e.Problems) != 1 || !hasProblem(e, tc.problem...) {
				t.Errorf("problems = %q, want one naming %q", e.Problems, tc.problem)
			}
			// The same value is fine outside production.
			vars["ENV"] = "development"
			c, _, err := LoadFrom(from(vars), "")
			if err == nil {
				err = c.Validate()
			}
			if err != nil {
				t.Errorf("refused outside production: %v", err)
			}
		})
	}
}

func TestLoadLeavesProductionRulesToValidate(t *testing.T) {
	// config check must still be able to print what it is about to refuse.
	c, _, err := LoadFrom(from(map[string]string{"ENV": "production", "DEBUG": "true"}), "")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if c.Validate() == nil {
		t.Fatal("Validate accepted a production config without SECRET_KEY")
	}
}

func TestProductionReportsEveryViolation(t *testing.T) {
	e := loadErr(t, map[string]string{"ENV": "production", "DEBUG": "true", "CORS_ORIGINS": "*", "BCRYPT_COST": "4"})
	for _, name := range []string{"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "CORS_ORIGINS", "BCRYPT_COST"} {
		if !hasProblem(e, name) {
			t.Errorf("no problem names %s: %q", name, e.Problems)
		}
	}
	if len(e.Problems) != 6 {
		t.Errorf("got %d problems, want 6: %q", len(e.Problems), e.Problems)
	}
	msg := e.Error()
	if !strings.HasPrefix(msg, "invalid configuration:") || strings.Count(msg, "\n  - ") != 6 {
		t.Errorf("error text = %q", msg)
	}
}

func TestBadValues(t *testing.T) {
	cases := []struct {
		vars    map[string]string
		problem []string
	}{
		{map[string]string{"PORT": "eighty"}, []string{"PORT", "whole number", `"eighty"`}},
		{map[string]string{"PORT": "70000"}, []string{"PORT", "at most 65535"}},
		{map[string]string{"PORT": "0"}, []string{"PORT", "at least 1"}},
		{map[string]string{"DEBUG": "maybe"}, []string{"DEBUG", "true or false"}},
		{map[string]string{"ENABLE_CACHING": "sometimes"}, []string{"ENABLE_CACHING", "true or false"}},
		{map[string]string{"ENABLE_BACKGROUND_TASKS": "2"}, []string{"ENABLE_BACKGROUND_TASKS", "true or false"}},
		{map[string]string{"TIMEZONE": "Mars/Olympus_Mons"}, []string{"TIMEZONE", "Mars/Olympus_Mons"}},
		{map[string]string{"DATABASE_URL": "mysql://u:hunter2@h/db"}, []string{"DATABASE_URL", "sqlite://", "postgres://", "postgresql://", `"mysql"`}},
		{map[string]string{"DATABASE_URL": "campus.db"}, []string{"DATABASE_URL"}},
		{map[string]string{"REDIS_URL": "http://cache:6379"}, []string{"REDIS_URL", "redis://", "rediss://"}},
		{map[string]string{"ENV": "staging"}, []string{"ENV", "development, testing, production", `"staging"`}},
		{map[string]string{"LOG_LEVEL": "verbose"}, []string{"LOG_LEVEL", "VERBOSE"}},
		{map[string]string{"BCRYPT_COST": "3"}, []string{"BCRYPT_COST", "at least 4"}},
		{map[string]string{"BCRYPT_COST": "32"}, []string{"BCRYPT_COST", "at most 31"}},
		{map[string]string{"PASSWORD_MIN_LENGTH": "100"}, []string{"PASSWORD_MIN_LENGTH", "at most 72"}},
		{map[string]string{"CACHE_TTL": "-1"}, []string{"CACHE_TTL", "at least 0"}},
		{map[string]string{"WORKER_CONCURRENCY": "1.5"}, []string{"WORKER_CONCURRENCY", "whole number"}},
		{map[string]string{"CORS_ORIGINS": "localhost:3000"}, []string{"CORS_ORIGINS", "localhost:3000"}},
		{map[string]string{"RISK_ATTENDANCE_WARN": "most"}, []string{"RISK_ATTENDANCE_WARN", "a number", `"most"`}},
		{map[string]string{"RISK_ATTENDANCE_WARN": "0.5"}, []string{"RISK_ATTENDANCE_HIGH", "RISK_ATTENDANCE_WARN", "0 < high < warn <= 1", "warn 0.5"}},
		{map[string]string{"RISK_ATTENDANCE_WARN": "0.6"}, []string{"0 < high < warn <= 1", "high 0.6, warn 0.6"}},
		{map[string]string{"RISK_ATTENDANCE_WARN": "1.2"}, []string{"0 < high < warn <= 1", "warn 1.2"}},
		{map[string]string{"RISK_ATTENDANCE_HIGH": "0"}, []string{"0 < high < warn <= 1", "high 0,"}},
		{map[string]string{"RISK_ATTENDANCE_HIGH": "-0.1"}, []string{"0 < high < warn <= 1"}},
		{map[string]string{"RISK_ATTENDANCE_HIGH": "NaN"}, []string{"0 < high < warn <= 1"}},
	}
	for _, tc := range cases {
		e := loadErr(t, tc.vars)
		if !hasProblem(e, tc.problem...) {
			t.Errorf("%v: problems = %q, want one with %q", tc.vars, e.Problems, tc.problem)
		}
		for _, p := range e.Problems {
			if strings.Contains(p, "hunter2") {
				t.Errorf("a problem leaks a password: %q", p)
			}
		}
	}
	// Several parse errors at once are all reported.
	e := loadErr(t, map[string]string{"PORT": "x", "CACHE_TTL": "y", "DEBUG": "z"})
	if len(e.Problems) != 3 {
		t.Errorf("problems = %q, want 3", e.Problems)
	}
}

func TestRiskThresholds(t *testing.T) {
	c, _ := load(t, map[string]string{"RISK_ATTENDANCE_WARN": "1", "RISK_ATTENDANCE_HIGH": "0.9"})
	if c.Risk.AttendanceWarn != 1 || c.Risk.AttendanceHigh != 0.9 {
		t.Errorf("thresholds = %+v", c.Risk)
	}
	for _, s := range c.Masked() {
		if s.Name == "RISK_ATTENDANCE_HIGH" && s.Value != "0.9" {
			t.Errorf("config check shows %s = %q", s.Name, s.Value)
		}
	}
}

func TestEmptyValueMeansDefault(t *testing.T) {
	c, _ := load(t, map[string]string{"PORT": "", "LOG_LEVEL": ""})
	if c.Server.Port != 8000 || c.Log.Level != "INFO" {
		t.Errorf("empty values did not fall back to defaults: %d %s", c.Server.Port, c.Log.Level)
	}
}

func TestSQLitePaths(t *testing.T) {
	for url, want := range map[string]string{
		"sqlite:///./campus.db":   "./campus.db",
		"sqlite:///campus.db":     "campus.db",
		"sqlite:////var/lib/c.db": "/var/lib/c.db",
		"sqlite://":               ":memory:",
		"sqlite:///:memory:":      ":memory:",
	} {
		if got := (Database{URL: url}).SQLitePath(); got != want {
			t.Errorf("SQLitePath(%q) = %q, want %q", url, got, want)
		}
	}
}

func TestMasked(t *testing.T) {
	c, _ := load(t, map[string]string{
		"SECRET_KEY":          strings.Repeat("z", 32),
		"SEED_ADMIN_PASSWORD": "seed-pass",
		"DATABASE_URL":        "postgres://campus:db-pass@db:5432/campus?sslmode=disable&password=q-pass",
		"REDIS_URL":           "redis://:redis-pass@cache:6379/0",
		"CORS_ORIGINS":        "https://a.example.edu,https://b.example.edu",
	})
	settings := c.Masked()
	got := map[string]string{}
	var names []string
	for _, s := range settings {
		got[s.Name] = s.Value
		names = append(names, s.Name)
	}
	all := []string{"ENV", "DEBUG", "HOST", "PORT", "SECRET_KEY", "SECRET_KEY_PREVIOUS",
		"ACCESS_TOKEN_EXPIRE_MINUTES", "REFRESH_TOKEN_EXPIRE_DAYS", "DATABASE_URL", "POOL_SIZE",
		"POOL_MAX_OVERFLOW", "DATABASE_ECHO", "REDIS_URL", "ENABLE_CACHING", "CACHE_TTL",
		"ENABLE_BACKGROUND_TASKS", "WORKER_CONCURRENCY", "LOG_LEVEL", "LOG_FILE", "LOG_MAX_SIZE_MB",
		"LOG_MAX_BACKUPS", "SLOW_REQUEST_MS", "CORS_ORIGINS", "BCRYPT_COST", "PASSWORD_MIN_LENGTH",
		"LOGIN_MAX_FAILURES", "LOGIN_LOCKOUT_SECONDS", "AUTH_RATE_LIMIT_PER_MINUTE", "QR_ROTATE_SECONDS",
		"LATE_AFTER_MINUTES", "SEED_ADMIN_PASSWORD", "TIMEZONE", "REFRESH_REUSE_GRACE_SECONDS", "MAX_BODY_BYTES", "CACHE_PREFIX", "QUEUE_PREFIX",
		"RISK_ATTENDANCE_WARN", "RISK_ATTENDANCE_HIGH", "EXPORT_DIR", "ENABLE_PPROF", "AGENT_SCHEDULES"}
	for _, n := range all {
		if _, ok := got[n]; !ok {
			t.Errorf("%s missing from Masked", n)
		}
	}
	if len(settings) != len(all) {
		t.Errorf("Masked has %d settings, want %d: %v", len(settings), len(all), names)
	}
	want := map[string]string{
		"SECRET_KEY":          "****",
		"SECRET_KEY_PREVIOUS": "(unset)",
		"SEED_ADMIN_PASSWORD": "****",
		"DATABASE_URL":        "postgres://campus:****@db:5432/campus?sslmode=disable&password=****",
		"REDIS_URL":           "redis://:****@cache:6379/0",
		"CORS_ORIGINS":        "https://a.example.edu,https://b.example.edu",
		"PORT":                "8000",
		"DEBUG":               "false",
		"ENV":                 "development",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	var all2 strings.Builder
	for _, s := range settings {
		all2.WriteString(s.Value + "\n")
	}
	for _, secret := range []string{strings.Repeat("z", 32), "seed-pass", "db-pass", "q-pass", "redis-pass"} {
		if strings.Contains(all2.String(), secret) {
			t.Errorf("Masked leaks %q", secret)
		}
	}
	// Stable order.
	if !reflect.DeepEqual(settings, c.Masked()) {
		t.Error("Masked is not stable")
	}
	// A random key says so.
	dev, _ := load(t, nil)
	for _, s := range dev.Masked() {
		if s.Name == "SECRET_KEY" && s.Value != "(random per start)" {
			t.Errorf("random key shown as %q", s.Value)
		}
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite:///./campus.db":               "sqlite:///./campus.db",
		"postgres://user@h/db":                "postgres://user@h/db",
		"postgres://user:p@ss@word@h:5432/db": "postgres://user:****@h:5432/db",
		"redis://:pw@h":                       "redis://:****@h",
		"postgres://h/db?user=u&password=x#f": "postgres://h/db?user=u&password=****#f",
		"not a url":                           "not a url",
		"":                                    "",
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// Parse errors are traced by Go field name within a section, so names must
// not repeat inside one struct (the compiler sees to that) and every
// variable must be reachable.
func TestEveryVariableIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range fields() {
		if seen[f.name] {
			t.Errorf("%s declared twice", f.name)
		}
		seen[f.name] = true
	}
	if len(seen) != 41 {
		t.Errorf("%d variables, want 41", len(seen))
	}
}

// TestAgentSchedules: AGENT_SCHEDULES overrides the schedule of agents that
// have one; Load parses it into a map and config check prints it back.
func TestAgentSchedules(t *testing.T) {
	c, _ := load(t, map[string]string{})
	if len(c.Tasks.Schedules) != 0 {
		t.Fatalf("unset AGENT_SCHEDULES = %v, want no overrides", c.Tasks.Schedules)
	}
	c, _ = load(t, map[string]string{"AGENT_SCHEDULES": " complaint-escalation = */5 * * * * ;maintenance=@every 2s;; attendance-risk=0 3 * * *;"})
	want := AgentSchedules{"maintenance": "@every 2s", "complaint-escalation": "*/5 * * * *", "attendance-risk": "0 3 * * *"}
	if !reflect.DeepEqual(c.Tasks.Schedules, want) {
		t.Fatalf("Schedules = %v, want %v", c.Tasks.Schedules, want)
	}
	var masked string
	for _, s := range c.Masked() {
		if s.Name == "AGENT_SCHEDULES" {
			masked = s.Value
		}
	}
	if masked != "attendance-risk=0 3 * * *;complaint-escalation=*/5 * * * *;maintenance=@every 2s" {
		t.Fatalf("config check prints AGENT_SCHEDULES as %q", masked)
	}
	for _, spec := range []string{"@every 1s", "@every 90s", "@every 1m30s", "@hourly", "@daily", "30 1 * * 1-5", "CRON_TZ=Europe/Berlin 0 2 * * *"} {
		got, err := ParseAgentSchedules("anomaly-detection=" + spec)
		if err != nil || got["anomaly-detection"] != spec {
			t.Errorf("spec %q: %v, %v", spec, got, err)
		}
	}
}

// TestAgentSchedulesRefused: Load refuses, naming AGENT_SCHEDULES, what the
// schedulers could not honour; the parser says why.
func TestAgentSchedulesRefused(t *testing.T) {
	cases := []struct {
		value string
		why   []string
	}{
		{"maintenance", []string{`"maintenance" is not a name=spec pair`}},
		{"maintenance=", []string{"not a name=spec pair"}},
		{"=@every 2s", []string{"not a name=spec pair"}},
		{"nosuch=@every 2s", []string{`"nosuch" is not an agent with a schedule`, "maintenance, complaint-escalation"}},
		{"complaint-triage=@every 2s", []string{`"complaint-triage" is not an agent with a schedule`}}, // event-driven only
		{"maintenance=@every 2s;maintenance=@every 3s", []string{"maintenance is given twice"}},
		{"maintenance=every hour", []string{"maintenance", `schedule "every hour"`}},
		{"maintenance=* * * *", []string{`schedule "* * * *"`}},
		{"maintenance=0 * * * * *", []string{`schedule "0 * * * * *"`}}, // seconds field: not the standard parser
		{"maintenance=61 * * * *", []string{`schedule "61 * * * *"`}},
		{"maintenance=@every", []string{`schedule "@every"`}},
		{"maintenance=@every 500ms", []string{"whole number of seconds, at least 1s"}},
		{"maintenance=@every 1500ms", []string{"whole number of seconds"}},
		{"maintenance=@every  2s", []string{`schedule "@every  2s"`}},
		{"maintenance=@every -2s", []string{"at least 1s"}},
		{"maintenance=@weekly;nosuch=x;complaint-escalation=bad", []string{"nosuch", "complaint-escalation"}},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			e := loadErr(t, map[string]string{"AGENT_SCHEDULES": tc.value})
			if !hasProblem(e, append([]string{"AGENT_SCHEDULES"}, tc.why...)...) {
				t.Fatalf("problems %q do not name AGENT_SCHEDULES with the reason %q", e.Problems, tc.why)
			}
			_, err := ParseAgentSchedules(tc.value)
			if err == nil {
				t.Fatal("ParseAgentSchedules accepted it")
			}
			for _, w := range append(tc.why, "AGENT_SCHEDULES") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
