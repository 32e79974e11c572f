package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

var _ ports.TokenCodec = (*Codec)(nil)

var (
	keyA = []byte("0123456789abcdef0123456789abcdef-key-a")
	keyB = []byte("0123456789abcdef0123456789abcdef-key-b")
)

func mustCodec(t testing.TB, keys Keys) *Codec {
	t.Helper()
	c, err := NewCodec(keys)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

func sampleClaims(now time.Time) identity.Claims {
	return identity.Claims{
		TokenID:   "01900000-0000-7000-8000-000000000001",
		SessionID: "01900000-0000-7000-8000-000000000002",
		UserID:    42,
		Username:  "student1",
		Role:      identity.RoleStudent,
		Type:      identity.AccessToken,
		IssuedAt:  now.Truncate(time.Second).UTC(),
		ExpiresAt: now.Add(30 * time.Minute).Truncate(time.Second).UTC(),
	}
}

func sameClaims(a, b identity.Claims) bool {
	return a.TokenID == b.TokenID && a.SessionID == b.SessionID && a.UserID == b.UserID &&
		a.Username == b.Username && a.Role == b.Role && a.Type == b.Type &&
		a.IssuedAt.Equal(b.IssuedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

func sign(t testing.TB, c *Codec, cl identity.Claims) string {
	t.Helper()
	s, err := c.Sign(cl)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return s
}

// unsigned builds a token from raw header and payload JSON with an empty
// signature, as an "alg: none" attacker would.
func unsigned(header, payload string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "."
}

func hs256(key []byte, header, payload string) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(head))
	return head + "." + enc.EncodeToString(m.Sum(nil))
}

func payloadOf(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func wantFault(t *testing.T, err error, msg string) {
	t.Helper()
	var f *fault.Error
	if !errors.As(err, &f) {
		t.Fatalf("error %v is not a fault", err)
	}
	if f.Kind != fault.Unauthenticated || f.Message != msg {
		t.Fatalf("fault = %v %q, want unauthenticated %q", f.Kind, f.Message, msg)
	}
}

func TestRoundTrip(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	for _, typ := range []identity.TokenType{identity.AccessToken, identity.RefreshToken} {
		in := sampleClaims(time.Now())
		in.Type = typ
		got, err := c.Parse(sign(t, c, in))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if !sameClaims(got, in) {
			t.Fatalf("got %+v, want %+v", got, in)
		}
		if got.IssuedAt.Location() != time.UTC {
			t.Fatalf("times not in UTC")
		}
	}
}

func TestWireFormat(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	tok := sign(t, c, sampleClaims(time.Now()))
	p := payloadOf(t, tok)
	for _, k := range []string{"iss", "aud", "sub", "user_id", "role", "typ", "jti", "sid", "iat", "nbf", "exp"} {
		if _, ok := p[k]; !ok {
			t.Errorf("claim %q missing from %v", k, p)
		}
	}
	if p["iss"] != Issuer || p["typ"] != "access" || p["role"] != "student" {
		t.Errorf("unexpected claims %v", p)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h map[string]any
	_ = json.Unmarshal(raw, &h)
	if h["alg"] != "HS256" || h["kid"] != KeyID(keyA) || len(KeyID(keyA)) != 16 {
		t.Errorf("header = %v", h)
	}
}

func TestExpired(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	in := sampleClaims(time.Now().Add(-2 * time.Hour))
	_, err := c.Parse(sign(t, c, in))
	wantFault(t, err, "Token has expired")
}

func TestExpiredButOtherwiseBrokenIsInvalid(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	now := time.Now()
	p := map[string]any{
		"iss": "someone-else", "aud": Audience, "sub": "u", "user_id": 1, "role": "admin",
		"typ": "access", "jti": "j", "sid": "s",
		"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(),
	}
	header := `{"alg":"HS256","typ":"JWT","kid":"` + KeyID(keyA) + `"}`
	_, err := c.Parse(hs256(keyA, header, mustJSON(p)))
	wantFault(t, err, "Invalid token")
	// The same token with a bad signature must not even be called expired.
	p["iss"] = Issuer
	_, err = c.Parse(hs256(keyB, header, mustJSON(p)))
	wantFault(t, err, "Invalid token")
	_, err = c.Parse(hs256(keyA, header, mustJSON(p)))
	wantFault(t, err, "Token has expired")
}

func TestTampered(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	tok := sign(t, c, sampleClaims(time.Now()))
	parts := strings.Split(tok, ".")

	p := payloadOf(t, tok)
	p["role"] = "admin"
	forgedPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(mustJSON(p))) + "." + parts[2]
	_, err := c.Parse(forgedPayload)
	wantFault(t, err, "Invalid token")

	sig := []byte(parts[2])
	sig[5] ^= 1
	_, err = c.Parse(parts[0] + "." + parts[1] + "." + string(sig))
	wantFault(t, err, "Invalid token")

	_, err = c.Parse(parts[0] + "." + parts[1] + ".")
	wantFault(t, err, "Invalid token")
}

func TestRefusedAlgorithms(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	tok := sign(t, c, sampleClaims(time.Now()))
	payload := mustJSON(payloadOf(t, tok))
	kid := KeyID(keyA)

	none := unsigned(`{"alg":"none","typ":"JWT","kid":"`+kid+`"}`, payload)
	noneUpper := unsigned(`{"alg":"None","typ":"JWT","kid":"`+kid+`"}`, payload)
	hs512 := func() string {
		h := `{"alg":"HS512","typ":"JWT","kid":"` + kid + `"}`
		enc := base64.RawURLEncoding
		head := enc.EncodeToString([]byte(h)) + "." + enc.EncodeToString([]byte(payload))
		m := hmac.New(sha512.New, keyA)
		m.Write([]byte(head))
		return head + "." + enc.EncodeToString(m.Sum(nil))
	}()
	// An RS256 header with an HMAC signature is the classic key-confusion
	// attack: the server's secret used as if it were a public key.
	rs256 := hs256(keyA, `{"alg":"RS256","typ":"JWT","kid":"`+kid+`"}`, payload)
	noAlg := hs256(keyA, `{"typ":"JWT","kid":"`+kid+`"}`, payload)

	for name, bad := range map[string]string{"none": none, "None": noneUpper, "HS512": hs512, "RS256": rs256, "no alg": noAlg} {
		_, err := c.Parse(bad)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		wantFault(t, err, "Invalid token")
	}
	// Sanity: the same payload with HS256 and the right key is accepted.
	if _, err := c.Parse(hs256(keyA, `{"alg":"HS256","typ":"JWT","kid":"`+kid+`"}`, payload)); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
}

func TestWrongIssuerAudience(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	tok := sign(t, c, sampleClaims(time.Now()))
	header := `{"alg":"HS256","typ":"JWT","kid":"` + KeyID(keyA) + `"}`
	for name, mutate := range map[string]func(map[string]any){
		"issuer":      func(p map[string]any) { p["iss"] = "other" },
		"no issuer":   func(p map[string]any) { delete(p, "iss") },
		"audience":    func(p map[string]any) { p["aud"] = "other-api" },
		"no audience": func(p map[string]any) { delete(p, "aud") },
	} {
		p := payloadOf(t, tok)
		mutate(p)
		_, err := c.Parse(hs256(keyA, header, mustJSON(p)))
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		wantFault(t, err, "Invalid token")
	}
}

func TestMissingOrUnknownClaims(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	tok := sign(t, c, sampleClaims(time.Now()))
	header := `{"alg":"HS256","typ":"JWT","kid":"` + KeyID(keyA) + `"}`
	cases := map[string]func(map[string]any){
		"no sid":       func(p map[string]any) { delete(p, "sid") },
		"no jti":       func(p map[string]any) { delete(p, "jti") },
		"no sub":       func(p map[string]any) { delete(p, "sub") },
		"no user_id":   func(p map[string]any) { delete(p, "user_id") },
		"no exp":       func(p map[string]any) { delete(p, "exp") },
		"no iat":       func(p map[string]any) { delete(p, "iat") },
		"bad typ":      func(p map[string]any) { p["typ"] = "id" },
		"bad role":     func(p map[string]any) { p["role"] = "superuser" },
		"string uid":   func(p map[string]any) { p["user_id"] = "42" },
		"string exp":   func(p map[string]any) { p["exp"] = "tomorrow" },
		"future nbf":   func(p map[string]any) { p["nbf"] = time.Now().Add(time.Hour).Unix() },
		"future iat":   func(p map[string]any) { p["iat"] = time.Now().Add(time.Hour).Unix() },
		"negative uid": func(p map[string]any) { p["user_id"] = -1 },
	}
	for name, mutate := range cases {
		p := payloadOf(t, tok)
		mutate(p)
		_, err := c.Parse(hs256(keyA, header, mustJSON(p)))
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		wantFault(t, err, "Invalid token")
	}
	for name, payload := range map[string]string{"null": "null", "array": "[]", "number": "1", "empty": ""} {
		if _, err := c.Parse(hs256(keyA, header, payload)); err == nil {
			t.Fatalf("%s payload accepted", name)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	old := mustCodec(t, Keys{Current: keyA})
	oldToken := sign(t, old, sampleClaims(time.Now()))

	rotated := mustCodec(t, Keys{Current: keyB, Previous: keyA})
	if _, err := rotated.Parse(oldToken); err != nil {
		t.Fatalf("token of the previous key refused: %v", err)
	}
	newToken := sign(t, rotated, sampleClaims(time.Now()))
	if _, err := rotated.Parse(newToken); err != nil {
		t.Fatalf("token of the current key refused: %v", err)
	}
	// The old process does not know the new key.
	_, err := old.Parse(newToken)
	wantFault(t, err, "Invalid token")

	// Once the previous key is dropped, its tokens stop working.
	dropped := mustCodec(t, Keys{Current: keyB})
	_, err = dropped.Parse(oldToken)
	wantFault(t, err, "Invalid token")
}

func TestKidMustMatchKey(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyB, Previous: keyA})
	payload := mustJSON(payloadOf(t, sign(t, c, sampleClaims(time.Now()))))
	for name, header := range map[string]string{
		"no kid":           `{"alg":"HS256","typ":"JWT"}`,
		"unknown kid":      `{"alg":"HS256","typ":"JWT","kid":"0000000000000000"}`,
		"kid of other":     `{"alg":"HS256","typ":"JWT","kid":"` + KeyID(keyB) + `"}`,
		"numeric kid":      `{"alg":"HS256","typ":"JWT","kid":1}`,
		"kid as raw key":   `{"alg":"HS256","typ":"JWT","kid":"` + string(keyA) + `"}`,
		"malformed header": `{"alg":"HS256"`,
	} {
		// Signed with keyA, so only a header naming keyA may pass.
		if _, err := c.Parse(hs256(keyA, header, payload)); err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
}

func TestParseGarbage(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	for _, s := range []string{"", ".", "..", "...", "a.b.c", "Bearer x", strings.Repeat("a", 100000),
		"eyJhbGciOiJIUzI1NiJ9.e30.", "\x00\xff.\x00.\x00"} {
		_, err := c.Parse(s)
		wantFault(t, err, "Invalid token")
	}
}

func TestSignRefusesIncompleteClaims(t *testing.T) {
	c := mustCodec(t, Keys{Current: keyA})
	for name, mutate := range map[string]func(*identity.Claims){
		"no jti":  func(cl *identity.Claims) { cl.TokenID = "" },
		"no sid":  func(cl *identity.Claims) { cl.SessionID = "" },
		"role":    func(cl *identity.Claims) { cl.Role = "root" },
		"type":    func(cl *identity.Claims) { cl.Type = "" },
		"expiry":  func(cl *identity.Claims) { cl.ExpiresAt = cl.IssuedAt },
		"no iat":  func(cl *identity.Claims) { cl.IssuedAt = time.Time{} },
		"user id": func(cl *identity.Claims) { cl.UserID = 0 },
	} {
		cl := sampleClaims(time.Now())
		mutate(&cl)
		if _, err := c.Sign(cl); err == nil {
			t.Fatalf("%s: signed", name)
		}
	}
}

func TestNewCodecNeedsKey(t *testing.T) {
	if _, err := NewCodec(Keys{}); err == nil {
		t.Fatal("empty key accepted")
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestCodecWithClock(t *testing.T) {
	past := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)
	c, err := NewCodecWithClock(Keys{Current: keyA}, fixedClock(past))
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, c, sampleClaims(past))
	if _, err := c.Parse(tok); err != nil {
		t.Fatalf("token valid on the codec's clock refused: %v", err)
	}
	_, err = mustCodec(t, Keys{Current: keyA}).Parse(tok)
	wantFault(t, err, "Token has expired")
}

func BenchmarkParse(b *testing.B) {
	c := mustCodec(b, Keys{Current: keyB, Previous: keyA})
	tok := sign(b, c, sampleClaims(time.Now()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Parse(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	c := mustCodec(b, Keys{Current: keyA})
	cl := sampleClaims(time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Sign(cl); err != nil {
			b.Fatal(err)
		}
	}
}
