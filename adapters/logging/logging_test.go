package logging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := map[string]any{}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestFileGetsJSONAndConsoleGetsText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "app.log")
	var console bytes.Buffer
	log, cleanup, err := New(Options{Level: "info", File: path, MaxSizeMB: 1, MaxBackups: 2, Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("request served", "status", 200, "path", "/api/v1/students")
	cleanup()

	lines := readJSONLines(t, path)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	if lines[0]["msg"] != "request served" || lines[0]["level"] != "INFO" || lines[0]["status"] != float64(200) {
		t.Fatalf("unexpected line %v", lines[0])
	}
	if out := console.String(); !strings.Contains(out, `msg="request served"`) || !strings.Contains(out, "status=200") {
		t.Fatalf("console is not text: %q", out)
	}
}

func TestJSONConsole(t *testing.T) {
	var console bytes.Buffer
	log, cleanup, err := New(Options{Console: &console, JSONConsole: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	log.Info("hello")
	if !json.Valid(bytes.TrimSpace(console.Bytes())) {
		t.Fatalf("console is not JSON: %q", console.String())
	}
}

func TestLevelFiltering(t *testing.T) {
	cases := []struct {
		level string
		want  []string
	}{
		{"DEBUG", []string{"d", "i", "w", "e"}},
		{"", []string{"i", "w", "e"}},
		{"info", []string{"i", "w", "e"}},
		{"Warning", []string{"w", "e"}},
		{"WARN", []string{"w", "e"}},
		{"error", []string{"e"}},
		{"CRITICAL", []string{"e"}},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		log, cleanup, err := New(Options{Level: c.level, Console: &buf, JSONConsole: true})
		if err != nil {
			t.Fatalf("%q: %v", c.level, err)
		}
		log.Debug("d")
		log.Info("i")
		log.Warn("w")
		log.Error("e")
		cleanup()
		var got []string
		for line := range strings.Lines(buf.String()) {
			var m map[string]any
			_ = json.Unmarshal([]byte(line), &m)
			got = append(got, m["msg"].(string))
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("level %q logged %v, want %v", c.level, got, c.want)
		}
	}
	if _, _, err := New(Options{Level: "verbose"}); err == nil || !strings.Contains(err.Error(), "verbose") {
		t.Fatalf("unknown level: err = %v", err)
	}
}

func TestRedaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	var console bytes.Buffer
	log, cleanup, err := New(Options{File: path, Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"hunter2-pw", "eyJ-access", "eyJ-refresh", "s3cr3t", "Bearer abc", "sid=xyz", "nested-pw", "grouped-value"}
	log.With("Authorization", secrets[4]).Info("login",
		"username", "alice",
		"password", secrets[0],
		"access_token", secrets[1],
		"refreshToken", secrets[2],
		"SECRET_KEY", secrets[3],
		"cookie", secrets[5],
		slog.Group("body", "new_password", secrets[6]),
		slog.Group("token", "value", secrets[7]),
	)
	log.WithGroup("req").Info("again", "old_password", secrets[0])
	cleanup()

	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"file": string(file), "console": console.String()} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s leaks %q: %s", name, s, out)
			}
		}
		if !strings.Contains(out, "alice") || !strings.Contains(out, Redacted) {
			t.Errorf("%s lost the harmless fields or the marker: %s", name, out)
		}
	}
}

func TestNoSinks(t *testing.T) {
	log, cleanup, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	log.Error("dropped") // must not panic or write anywhere
}

func TestUnwritableFile(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := New(Options{File: filepath.Join(blocker, "app.log")}); err == nil {
		t.Fatal("a log file under a regular file was accepted")
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	log, cleanup, err := New(Options{File: path, MaxSizeMB: 1, MaxBackups: 3})
	if err != nil {
		t.Fatal(err)
	}
	payload := strings.Repeat("x", 1000)
	for i := range 1500 { // about 1.5 MB of JSON lines
		log.Info("filler", "i", i, "payload", payload)
	}
	cleanup()

	// Rotated files are compressed in the background; wait for the .gz so
	// the temporary directory is quiet when the test removes it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		gz := false
		for _, e := range entries {
			names = append(names, e.Name())
			if strings.HasPrefix(e.Name(), "app-") && strings.HasSuffix(e.Name(), ".log.gz") {
				gz = true
			}
		}
		if gz && len(entries) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no compressed backup appeared: %v", names)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, err := os.Stat(path); err != nil || st.Size() >= 1<<20 {
		t.Fatalf("current file not rotated: %v, %v", st, err)
	}
}
