package token

import (
	"testing"
	"time"
	"unsafe"

	"github.com/campus/campus/domain/identity"
)

// movingClock is a clock a test sets.
type movingClock struct{ t time.Time }

func (c *movingClock) Now() time.Time { return c.t }

func clockCodec(t testing.TB, now time.Time) (*Codec, *movingClock) {
	t.Helper()
	clock := &movingClock{t: now}
	c, err := NewCodecWithClock(Keys{Current: keyA}, clock)
	if err != nil {
		t.Fatal(err)
	}
	return c, clock
}

// TestMemoAnswersLikeAFullParse moves the clock around a token that is
// memoised and checks every answer against a codec that never saw it.
func TestMemoAnswersLikeAFullParse(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c, clock := clockCodec(t, start)
	tok := sign(t, c, sampleClaims(start))
	if _, err := c.Parse(tok); err != nil {
		t.Fatal(err)
	}
	if len(c.memo.m) != 1 {
		t.Fatalf("memo holds %d tokens, want 1", len(c.memo.m))
	}
	exp := start.Add(30 * time.Minute)
	for _, at := range []time.Time{
		start, start.Add(10 * time.Minute),
		exp, exp.Add(leeway - time.Nanosecond), // within the leeway: still good
		exp.Add(leeway), exp.Add(time.Hour), // expired
		start.Add(-leeway), start.Add(-leeway - time.Nanosecond), // issued in the future
		start.Add(time.Minute), // and back again
	} {
		clock.t = at
		got, err := c.Parse(tok)
		fresh, _ := clockCodec(t, at)
		want, wantErr := fresh.Parse(tok)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) || !sameClaims(got, want) {
			t.Fatalf("at %v: memo gave %+v, %v; a full parse %+v, %v", at.Sub(start), got, err, want, wantErr)
		}
	}
}

func TestMemoSkipsRefreshTokensAndFailures(t *testing.T) {
	now := time.Now()
	c, _ := clockCodec(t, now)
	in := sampleClaims(now)
	in.Type = identity.RefreshToken
	if _, err := c.Parse(sign(t, c, in)); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Parse(sign(t, c, sampleClaims(now.Add(-2*time.Hour)))) // expired
	tok := sign(t, c, sampleClaims(now))
	_, _ = c.Parse(tok[:len(tok)-2] + "AA") // bad signature
	if n := len(c.memo.m); n != 0 {
		t.Fatalf("memo holds %d tokens, want none", n)
	}
}

// TestMemoKeepsItsOwnCopy parses a token held in a buffer that is then
// reused, as fasthttp reuses its header buffers between requests.
func TestMemoKeepsItsOwnCopy(t *testing.T) {
	now := time.Now()
	c, _ := clockCodec(t, now)
	tok := sign(t, c, sampleClaims(now))
	buf := []byte(tok)
	if _, err := c.Parse(unsafe.String(&buf[0], len(buf))); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	for k := range c.memo.m {
		if k != tok {
			t.Fatalf("memo key changed with the request buffer: %q", k)
		}
	}
	if _, err := c.Parse(tok); err != nil {
		t.Fatal(err)
	}
}

func TestMemoIsBounded(t *testing.T) {
	now := time.Now()
	c, _ := clockCodec(t, now)
	in := sampleClaims(now)
	for i := 0; i <= maxVerified; i++ {
		in.UserID = int64(i + 1)
		if _, err := c.Parse(sign(t, c, in)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.memo.m); n == 0 || n > maxVerified {
		t.Fatalf("memo holds %d tokens, want 1..%d", n, maxVerified)
	}
}

// BenchmarkParseUncached is the full parse a bearer costs the first time.
func BenchmarkParseUncached(b *testing.B) {
	c := mustCodec(b, Keys{Current: keyB, Previous: keyA})
	tok := sign(b, c, sampleClaims(time.Now()))
	b.ReportAllocs()
	for b.Loop() {
		c.memo.drop(tok)
		if _, err := c.Parse(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMemoConcurrent parses from many goroutines at once (run with -race).
func TestMemoConcurrent(t *testing.T) {
	now := time.Now()
	c, _ := clockCodec(t, now)
	toks := make([]string, 4)
	for i := range toks {
		in := sampleClaims(now)
		in.UserID = int64(i + 1)
		toks[i] = sign(t, c, in)
	}
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 200 && err == nil; i++ {
				var got identity.Claims
				tok := toks[(g+i)%len(toks)]
				if got, err = c.Parse(tok); err == nil && got.UserID != int64((g+i)%len(toks)+1) {
					t.Errorf("token %d parsed as user %d", (g+i)%len(toks), got.UserID)
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
