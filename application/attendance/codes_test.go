package attendance_test

import (
	"bytes"
	"testing"

	app "github.com/campus/campus/application/attendance"
)

// TestCodeSignerIsKeyedByADerivedSecret: the signature depends on the
// secret, and is not an HMAC under the secret itself (the token key).
func TestCodeSignerIsKeyedByADerivedSecret(t *testing.T) {
	a := app.CodeSigner([]byte("first-secret-that-is-32-bytes-long!"))
	b := app.CodeSigner([]byte("other-secret-that-is-32-bytes-long!"))
	msg := []byte("c1|42|1000")
	if len(a(msg)) != 32 || bytes.Equal(a(msg), b(msg)) || !bytes.Equal(a(msg), a(msg)) {
		t.Fatal("signatures must be 32 bytes, stable, and differ between secrets")
	}
}
