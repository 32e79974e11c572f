package attendance_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
)

var (
	key   = hmacSigner("test-secret-that-is-at-least-32-bytes")
	every = 30 * time.Second
	// stepStart is the first instant of a step: 2026-11-27T09:00:00Z is a
	// multiple of 30 s since the epoch.
	stepStart = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
)

func issue(t *testing.T, sessionID int64, at time.Time) attendance.Code {
	t.Helper()
	s, _ := attendance.IssueCode(key, sessionID, at, every)
	c, err := attendance.ParseCode(s)
	if err != nil {
		t.Fatalf("parse issued code %q: %v", s, err)
	}
	return c
}

// hmacSigner is a real HMAC-SHA256 signer, as the application supplies.
func hmacSigner(key string) attendance.Signer {
	return func(msg []byte) []byte {
		m := hmac.New(sha256.New, []byte(key))
		m.Write(msg)
		return m.Sum(nil)
	}
}

func TestIssueCode(t *testing.T) {
	code, expires := attendance.IssueCode(key, 42, stepStart.Add(10*time.Second), every)
	if !expires.Equal(stepStart.Add(every)) {
		t.Errorf("expires_at %v, want the next rotation %v", expires, stepStart.Add(every))
	}
	if !strings.HasPrefix(code, "c1.42.") {
		t.Errorf("code %q", code)
	}
	again, _ := attendance.IssueCode(key, 42, stepStart.Add(29*time.Second), every)
	if again != code {
		t.Error("the code changed within one step")
	}
	next, _ := attendance.IssueCode(key, 42, stepStart.Add(every), every)
	if next == code {
		t.Error("the code did not rotate at the step boundary")
	}
	other, _ := attendance.IssueCode(key, 43, stepStart, every)
	if other == code {
		t.Error("two sessions share a code")
	}
}

// TestVerifyWindowEdges checks the accepted window exactly at step
// boundaries: a code issued in step n is accepted from the first instant of
// n through the last nanosecond of n+1, and refused from n+2 on.
func TestVerifyWindowEdges(t *testing.T) {
	c := issue(t, 7, stepStart) // step n
	tests := []struct {
		name string
		now  time.Time
		want attendance.Reason // "" accepted
	}{
		{"same step, first instant", stepStart, ""},
		{"same step, last nanosecond", stepStart.Add(every - time.Nanosecond), ""},
		{"next step, first instant (previous step accepted)", stepStart.Add(every), ""},
		{"next step, last nanosecond", stepStart.Add(2*every - time.Nanosecond), ""},
		{"two steps on: expired", stepStart.Add(2 * every), attendance.ReasonExpiredCode},
		{"an hour on: expired", stepStart.Add(time.Hour), attendance.ReasonExpiredCode},
		{"one nanosecond before its step: a future code", stepStart.Add(-time.Nanosecond), attendance.ReasonInvalidCode},
		{"a step before its step: a future code", stepStart.Add(-every), attendance.ReasonInvalidCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := attendance.VerifyCode(key, c, tt.now, every)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if reason(t, err) != tt.want || fault.KindOf(err) != fault.BadRequest {
				t.Fatalf("got %v, want %s (400)", err, tt.want)
			}
		})
	}
}

func TestVerifyRefusesForgeries(t *testing.T) {
	c := issue(t, 7, stepStart)
	tests := map[string]func(attendance.Code) attendance.Code{
		"other session":   func(c attendance.Code) attendance.Code { c.SessionID = 8; return c },
		"moved step":      func(c attendance.Code) attendance.Code { c.Step++; return c },
		"flipped MAC bit": func(c attendance.Code) attendance.Code { c.MAC[0] ^= 1; return c },
	}
	for name, forge := range tests {
		f := forge(c)
		if reason(t, attendance.VerifyCode(key, f, stepStart, every)) != attendance.ReasonInvalidCode {
			t.Errorf("%s accepted", name)
		}
	}
	otherKey := hmacSigner("another-secret-entirely-32-bytes!!")
	if attendance.VerifyCode(otherKey, c, stepStart, every) == nil {
		t.Error("a code verified under another key")
	}
}

func TestParseCodeRefusesNonCanonical(t *testing.T) {
	good, _ := attendance.IssueCode(key, 42, stepStart, every)
	parts := strings.Split(good, ".")
	bad := []string{
		"", "c1", "c1...", good + ".", good + ".x", "c2." + strings.Join(parts[1:], "."),
		"c1.042." + parts[2] + "." + parts[3], "c1.+42." + parts[2] + "." + parts[3], "c1.0." + parts[2] + "." + parts[3],
		"c1.-1." + parts[2] + "." + parts[3], "c1.42.0" + parts[2] + "." + parts[3],
		"c1.42." + parts[2] + "." + parts[3] + "=", "c1.42." + parts[2] + "." + parts[3][:21],
		"c1.42." + parts[2] + "." + strings.ReplaceAll(parts[3], parts[3][:1], "+"),
		"c1.99999999999999999999." + parts[2] + "." + parts[3], strings.Repeat("c", 101),
	}
	for _, s := range bad {
		if c, err := attendance.ParseCode(s); err == nil {
			t.Errorf("ParseCode(%q) accepted: %+v", s, c)
		} else if reason(t, err) != attendance.ReasonInvalidCode {
			t.Errorf("ParseCode(%q): %v", s, err)
		}
	}
	c, err := attendance.ParseCode(good)
	if err != nil || c.String() != good || c.SessionID != 42 {
		t.Fatalf("round trip: %v %v", c, err)
	}
}

// FuzzParseCode: no input panics, whatever parses has exactly one spelling,
// and whatever also verifies is exactly the code the key issues.
func FuzzParseCode(f *testing.F) {
	good, _ := attendance.IssueCode(key, 42, stepStart, every)
	for _, s := range []string{good, "", "c1.1.1.AAAAAAAAAAAAAAAAAAAAAA", "c1.9223372036854775807.0.____________________8",
		"c1.1.-1.AAAAAAAAAAAAAAAAAAAAAA", strings.Replace(good, "c1", "C1", 1), "c1.42.." + good} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := attendance.ParseCode(s)
		if err != nil {
			if fault.KindOf(err) != fault.BadRequest {
				t.Fatalf("ParseCode(%q): %v is not a 400", s, err)
			}
			return
		}
		if c.String() != s {
			t.Fatalf("ParseCode(%q) accepted a non-canonical spelling of %q", s, c.String())
		}
		if c.Step > 1<<28 {
			return // beyond UnixNano's range at 30 s a step: nothing to issue against
		}
		now := time.Unix(0, c.Step*int64(every))
		if attendance.VerifyCode(key, c, now, every) == nil {
			want, _ := attendance.IssueCode(key, c.SessionID, now, every)
			if want != s {
				t.Fatalf("verified %q, but the key issues %q", s, want)
			}
		}
	})
}
