package e2e

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestShutdownFinishesInFlightRequests starts a slow request (a login at
// bcrypt cost 12 takes a quarter second), shuts the server down while it
// runs, and expects the request to complete normally and new connections
// to be refused.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	h := newHarness(t, sqliteURL(t), map[string]string{"BCRYPT_COST": "12"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = h.server.App().Listener(ln) }()
	url := "http://" + ln.Addr().String()

	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Post(url+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"admin123"}`))
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{status: resp.StatusCode}
	}()
	time.Sleep(50 * time.Millisecond) // the login is now hashing
	if err := h.server.Shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	r := <-done
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("in-flight login: %d %v", r.status, r.err)
	}
	if resp, err := http.Get(url + "/health"); err == nil {
		resp.Body.Close()
		t.Fatal("the server still accepts connections after shutdown")
	}
}
