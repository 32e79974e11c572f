// Package logging builds the process's slog.Logger: JSON lines to a rotating
// file for machines, readable text to the console for people, and one
// redaction rule in front of both so that no password or token can reach a
// log whatever a caller passes.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Redacted replaces the value of every attribute whose key looks secret.
const Redacted = "[REDACTED]"

// Options configure New; they mirror LOG_LEVEL, LOG_FILE, LOG_MAX_SIZE_MB
// and LOG_MAX_BACKUPS.
type Options struct {
	// Level is DEBUG, INFO, WARNING (or WARN), ERROR or CRITICAL, any case;
	// empty means INFO.
	Level string
	// File is the JSON log file; empty disables the file sink.
	File string
	// MaxSizeMB is the size at which the file is rotated (lumberjack's
	// default of 100 when zero).
	MaxSizeMB int
	// MaxBackups is how many rotated files to keep (all when zero).
	MaxBackups int
	// Console receives the human-readable stream; nil disables it.
	Console io.Writer
	// JSONConsole writes JSON to the console too, for containers whose log
	// collector parses stdout.
	JSONConsole bool
}

// New builds the logger. The returned cleanup closes the log file; call it
// once the last line is written.
func New(o Options) (*slog.Logger, func(), error) {
	level, err := ParseLevel(o.Level)
	if err != nil {
		return nil, nil, err
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redact}

	var handlers []slog.Handler
	cleanup := func() {}
	if o.File != "" {
		if err := prepareFile(o.File); err != nil {
			return nil, nil, err
		}
		file := &lumberjack.Logger{
			Filename:   o.File,
			MaxSize:    o.MaxSizeMB,
			MaxBackups: o.MaxBackups,
			Compress:   true,
		}
		handlers = append(handlers, slog.NewJSONHandler(file, opts))
		cleanup = func() { _ = file.Close() }
	}
	if o.Console != nil {
		if o.JSONConsole {
			handlers = append(handlers, slog.NewJSONHandler(o.Console, opts))
		} else {
			handlers = append(handlers, slog.NewTextHandler(o.Console, opts))
		}
	}
	switch len(handlers) {
	case 0:
		return slog.New(slog.DiscardHandler), cleanup, nil
	case 1:
		return slog.New(handlers[0]), cleanup, nil
	default:
		return slog.New(slog.NewMultiHandler(handlers...)), cleanup, nil
	}
}

// prepareFile creates the log directory and checks the file can be opened
// for appending: lumberjack opens lazily, and a log that cannot be written
// should stop the start, not be found missing after an incident.
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("logging: create log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("logging: open log file: %w", err)
	}
	return f.Close()
}

// ParseLevel maps a LOG_LEVEL value (any case) to a slog level. WARNING and
// CRITICAL are the names of the first version; slog has no level above
// Error, so CRITICAL logs what ERROR logs.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "", "INFO":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR", "CRITICAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("logging: unknown level %q (want DEBUG, INFO, WARNING, ERROR or CRITICAL)", s)
}

// secretWords are the key fragments that mark a value as secret. Matching
// on fragments errs on the side of hiding: "token_type" is redacted too,
// which costs little, while "refresh_token" slipping through would not.
var secretWords = []string{"password", "passwd", "token", "secret", "authorization", "cookie", "api_key", "apikey"}

// Sensitive reports whether an attribute, header or field named key must
// not be logged.
func Sensitive(key string) bool {
	k := strings.ToLower(key)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// redact is the handlers' ReplaceAttr. slog never passes a group itself,
// only its members, so a member of a secret-named group is redacted too.
func redact(groups []string, a slog.Attr) slog.Attr {
	if Sensitive(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	for _, g := range groups {
		if Sensitive(g) {
			return slog.String(a.Key, Redacted)
		}
	}
	return a
}
