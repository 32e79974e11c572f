package loadkit_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campus/campus/tests/loadkit"
)

func TestFreePortIsFree(t *testing.T) {
	p, err := loadkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		t.Fatalf("port %d is not free: %v", p, err)
	}
	_ = l.Close()
}

func TestWaitHealthyWaitsForA200(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if err := loadkit.WaitHealthy(srv.URL, 5*time.Second, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d calls, want 3", calls.Load())
	}
	never := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer never.Close()
	if err := loadkit.WaitHealthy(never.URL, 50*time.Millisecond, time.Millisecond); err == nil {
		t.Fatal("a server that never answers 200 was healthy")
	}
}

func TestLogin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/auth/login" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"bearer"}`))
	}))
	defer srv.Close()
	tok, err := loadkit.Login(srv.URL, "staff1", "staff123")
	if err != nil || tok != "tok" {
		t.Fatalf("token %q, %v", tok, err)
	}
	if _, err := loadkit.Login(srv.URL+"/nowhere", "staff1", "x"); err == nil {
		t.Fatal("no token, no error")
	}
}

func TestRSSOfThisProcess(t *testing.T) {
	now, err := loadkit.RSS(os.Getpid())
	if err != nil || now == 0 {
		t.Fatalf("RSS %d, %v", now, err)
	}
	peak, err := loadkit.PeakRSS(os.Getpid())
	if err != nil || peak < now {
		t.Fatalf("peak %d below current %d (%v)", peak, now, err)
	}
	if _, err := loadkit.RSS(-1); err == nil {
		t.Fatal("no error for a process that cannot exist")
	}
}
