// Package loadkit is what the load and soak programs share: a free port,
// waiting for a server to be healthy, a test account's token, and a
// process's memory.
package loadkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/procfs"
)

// FreePort is a TCP port on the loopback nobody listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("listener has no TCP address")
	}
	return addr.Port, nil
}

// WaitHealthy polls url every interval until it answers 200, for at most
// limit.
func WaitHealthy(url string, limit, every time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url) //nolint:gosec // loopback URLs the callers built
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(every)
	}
	return fmt.Errorf("%s not healthy after %s", url, limit)
}

// Login is the access token of an account of the API at base.
func Login(base, username, password string) (string, error) {
	body, err := json.Marshal(map[string]string{"username": username, "password": password})
	if err != nil {
		return "", err
	}
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body)) //nolint:gosec // loopback URLs the callers built
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var m struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || m.AccessToken == "" {
		return "", fmt.Errorf("login %s: %d %v", username, resp.StatusCode, err)
	}
	return m.AccessToken, nil
}

// RSS is a process's resident set size now, in bytes.
func RSS(pid int) (uint64, error) {
	st, err := status(pid)
	return st.VmRSS, err
}

// PeakRSS is the high-water mark of a process's resident set, in bytes.
func PeakRSS(pid int) (uint64, error) {
	st, err := status(pid)
	return st.VmHWM, err
}

func status(pid int) (procfs.ProcStatus, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return procfs.ProcStatus{}, err
	}
	return p.NewStatus()
}
