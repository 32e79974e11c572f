package token

import (
	"errors"
	"testing"
	"time"

	"github.com/campus/campus/domain/fault"
)

// checkParse is the property both fuzz targets hold Parse to: it answers
// with one of the two contract faults or with claims that survive a
// sign/parse round trip unchanged.
func checkParse(t *testing.T, c *Codec, s string) {
	got, err := c.Parse(s)
	if err != nil {
		var f *fault.Error
		if !errors.As(err, &f) || f.Kind != fault.Unauthenticated ||
			(f.Message != "Invalid token" && f.Message != "Token has expired") {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	again, err := c.Sign(got)
	if err != nil {
		t.Fatalf("accepted claims %+v cannot be signed: %v", got, err)
	}
	back, err := c.Parse(again)
	if err != nil {
		t.Fatalf("re-signed token refused: %v", err)
	}
	if !sameClaims(got, back) {
		t.Fatalf("round trip changed claims: %+v -> %+v", got, back)
	}
}

func FuzzParse(f *testing.F) {
	c, err := NewCodec(Keys{Current: keyB, Previous: keyA})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	f.Add(sign(f, c, sampleClaims(now)))
	old, _ := NewCodec(Keys{Current: keyA})
	f.Add(sign(f, old, sampleClaims(now)))
	f.Add(sign(f, c, sampleClaims(now.Add(-3*time.Hour))))
	f.Add(hs256(keyA, `{"alg":"none","kid":"`+KeyID(keyA)+`"}`, `{"sub":"x"}`))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		checkParse(t, c, s)
	})
}

// FuzzParseSigned fuzzes the part of Parse that only runs after a valid
// signature: header and payload JSON chosen by the fuzzer, signed with the
// real key, as if the key had leaked or a bug let odd claims be signed.
func FuzzParseSigned(f *testing.F) {
	c, err := NewCodec(Keys{Current: keyA})
	if err != nil {
		f.Fatal(err)
	}
	kid := KeyID(keyA)
	good := mustJSON(payloadOf(f, sign(f, c, sampleClaims(time.Now()))))
	f.Add(`{"alg":"HS256","typ":"JWT","kid":"`+kid+`"}`, good)
	f.Add(`{"alg":"HS256","kid":"`+kid+`"}`, `{"exp":1e300,"iat":-1e300,"user_id":9223372036854775807}`)
	f.Add(`{"alg":"HS256","kid":"`+kid+`"}`, `null`)
	f.Add(`{"alg":"HS256","kid":"`+kid+`"}`, `{"aud":7,"iss":null}`)
	f.Fuzz(func(t *testing.T, header, payload string) {
		checkParse(t, c, hs256(keyA, header, payload))
	})
}
