package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"
)

// WarnRandomKey is the warning Load returns when it makes up a signing key.
const WarnRandomKey = "SECRET_KEY is not set; using a random key: tokens will not survive a restart"

// DotEnvFile is the file Load reads from the working directory.
const DotEnvFile = ".env"

// Load reads ./.env when present and the process environment (which wins
// over .env), and returns the checked configuration with any warnings.
func Load() (Config, []string, error) {
	return LoadFrom(os.LookupEnv, DotEnvFile)
}

// LoadFrom is Load with the environment given as lookup and the .env file
// as dotEnvPath ("" or a missing file: none), so tests need not touch the
// process environment. A variable lookup knows wins over the file.
func LoadFrom(lookup func(string) (string, bool), dotEnvPath string) (Config, []string, error) {
	vars, err := gather(lookup, dotEnvPath)
	if err != nil {
		return Config{}, nil, err
	}
	var c Config
	if err := parse(&c, vars); err != nil {
		return Config{}, nil, err
	}
	c.normalize()

	var warnings []string
	if c.Auth.SecretKey == "" && !c.IsProduction() {
		c.Auth.SecretKey = randomKey()
		c.Auth.generatedKey = true
		warnings = append(warnings, WarnRandomKey)
	} else if len(c.Auth.SecretKey) < MinSecretKeyBytes && !c.IsProduction() {
		warnings = append(warnings, fmt.Sprintf("SECRET_KEY is %d bytes; production requires at least %d", len(c.Auth.SecretKey), MinSecretKeyBytes))
	}

	if problems := c.usabilityProblems(); len(problems) > 0 {
		return Config{}, warnings, &Error{Problems: problems}
	}
	c.location, _ = time.LoadLocation(c.TimeZone) // Validate has loaded it once
	return c, warnings, nil
}

// gather collects the value of every variable Config knows, from lookup
// first and the .env file second. Only known names are read, so the rest
// of the environment never enters the process's settings.
func gather(lookup func(string) (string, bool), dotEnvPath string) (map[string]string, error) {
	file := map[string]string{}
	if dotEnvPath != "" {
		m, err := godotenv.Read(dotEnvPath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("config: read %s: %w", dotEnvPath, err)
		default:
			file = m
		}
	}
	vars := make(map[string]string)
	for _, f := range fields() {
		if v, ok := lookup(f.name); ok {
			vars[f.name] = v
		} else if v, ok := file[f.name]; ok {
			vars[f.name] = v
		}
	}
	return vars, nil
}

// parse fills c section by section, so that each parse error (which the
// library reports by Go field name) can be traced to one variable.
func parse(c *Config, vars map[string]string) error {
	opts := env.Options{
		Environment: vars,
		FuncMap:     map[reflect.Type]env.ParserFunc{reflect.TypeFor[bool](): parseBool},
	}
	var problems []string
	for _, section := range c.sections() {
		err := env.ParseWithOptions(section, opts)
		if err == nil {
			continue
		}
		var agg env.AggregateError
		if !errors.As(err, &agg) {
			return fmt.Errorf("config: %w", err)
		}
		t := reflect.TypeOf(section).Elem()
		for _, e := range agg.Errors {
			problems = append(problems, describe(t, e, vars))
		}
	}
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	return nil
}

// sections lists the structs parsed one by one: the top-level scalars
// (whose sections are skipped by env:"-") and each section.
func (c *Config) sections() []any {
	return []any{c, &c.Server, &c.Auth, &c.Database, &c.Redis, &c.Cache, &c.Tasks, &c.Log, &c.Attendance, &c.Risk}
}

// describe turns one parse error into a sentence naming the variable and
// the kind of value it needs.
func describe(section reflect.Type, err error, vars map[string]string) string {
	var pe env.ParseError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	sf, ok := section.FieldByName(pe.Name)
	if !ok {
		return err.Error()
	}
	name := envName(sf)
	want := "a valid value"
	switch pe.Type.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		want = "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "a non-negative whole number"
	case reflect.Bool:
		want = "true or false"
	case reflect.Float32, reflect.Float64:
		want = "a number"
	default:
		// A value with its own parser (e.g. AGENT_SCHEDULES) says why.
		if pe.Err != nil {
			return fmt.Sprintf("%s is not valid: %v (got %q)", name, pe.Err, vars[name])
		}
	}
	return fmt.Sprintf("%s must be %s (got %q)", name, want, vars[name])
}

// parseBool accepts what the first version's settings library did: the
// strconv forms plus yes/no and on/off, any case.
func parseBool(s string) (any, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "y", "yes", "on":
		return true, nil
	case "0", "f", "false", "n", "no", "off":
		return false, nil
	}
	return nil, fmt.Errorf("invalid boolean %q", s)
}

// normalize puts values in the form the checks and the rest of the service
// expect: enum names in their canonical case, CORS origins trimmed.
func (c *Config) normalize() {
	c.Env = Environment(strings.ToLower(strings.TrimSpace(string(c.Env))))
	c.Log.Level = strings.ToUpper(strings.TrimSpace(c.Log.Level))
	c.TimeZone = strings.TrimSpace(c.TimeZone)
	c.Database.URL = strings.TrimSpace(c.Database.URL)
	c.Redis.URL = strings.TrimSpace(c.Redis.URL)
	origins := c.Server.CORSOrigins[:0]
	for _, o := range c.Server.CORSOrigins {
		if o = strings.TrimSuffix(strings.TrimSpace(o), "/"); o != "" {
			origins = append(origins, o)
		}
	}
	c.Server.CORSOrigins = origins
	if len(origins) == 0 {
		c.Server.CORSOrigins = nil
	}
}

// field is one variable of Config: its name and where its value lives.
type field struct {
	name  string
	index []int
}

// fields lists Config's variables in declaration order, which is the order
// Masked prints them in.
func fields() []field {
	var out []field
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, idx)
				continue
			}
			if name := envName(sf); name != "" {
				out = append(out, field{name: name, index: idx})
			}
		}
	}
	walk(reflect.TypeFor[Config](), nil)
	return out
}

// envName is the variable a struct field is read from, or "".
func envName(sf reflect.StructField) string {
	name, _, _ := strings.Cut(sf.Tag.Get("env"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// Setting is one effective setting as `campus config check` prints it.
type Setting struct {
	Name  string
	Value string
}

// secretNames are shown only as set or unset.
var secretNames = map[string]bool{"SECRET_KEY": true, "SECRET_KEY_PREVIOUS": true, "SEED_ADMIN_PASSWORD": true}

// Masked returns every setting in a stable order with secrets hidden: keys
// and the seed password as "****" or "(unset)", passwords inside URLs as
// "****".
func (c Config) Masked() []Setting {
	v := reflect.ValueOf(c)
	var out []Setting
	for _, f := range fields() {
		val := format(v.FieldByIndex(f.index))
		switch {
		case f.name == "SECRET_KEY" && c.Auth.generatedKey:
			val = "(random per start)"
		case secretNames[f.name] && val == "":
			val = "(unset)"
		case secretNames[f.name]:
			val = "****"
		case f.name == "DATABASE_URL" || f.name == "REDIS_URL":
			val = MaskURL(val)
		}
		out = append(out, Setting{Name: f.name, Value: val})
	}
	return out
}

func format(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	default:
		return fmt.Sprint(v.Interface())
	}
}

// MaskURL hides the password of a URL's userinfo and any password query
// parameter. It works on the text, not through url.Parse, so that a URL
// too broken to parse is masked all the same.
func MaskURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, host := authority[:at], authority[at+1:]
		if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
			authority = user + ":****@" + host
		}
	}
	tail, fragment, hasFragment := strings.Cut(tail, "#")
	if path, query, ok := strings.Cut(tail, "?"); ok {
		params := strings.Split(query, "&")
		for i, p := range params {
			k, _, _ := strings.Cut(p, "=")
			if strings.Contains(strings.ToLower(k), "password") {
				params[i] = k + "=****"
			}
		}
		tail = path + "?" + strings.Join(params, "&")
	}
	if hasFragment {
		tail += "#" + fragment
	}
	return scheme + "://" + authority + tail
}
