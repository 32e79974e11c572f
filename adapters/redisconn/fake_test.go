package redisconn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRedis is a loopback server that speaks enough RESP for go-redis to
// connect through it: it records every command it is sent and answers
// with reply. It refuses HELLO as Redis 5 does, so that the credentials
// travel in an AUTH of their own.
type fakeRedis struct {
	addr  string
	reply func(cmd []string) string

	mu   sync.Mutex
	cmds [][]string
}

func startFakeRedis(t *testing.T, reply func(cmd []string) string) *fakeRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeRedis{addr: ln.Addr().String(), reply: reply}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { f.serve(c) })
		}
	})
	return f
}

func (f *fakeRedis) serve(c net.Conn) {
	defer func() { _ = c.Close() }()
	r := bufio.NewReader(c)
	for {
		cmd, err := readCommand(r)
		if err != nil {
			return
		}
		cmd[0] = strings.ToUpper(cmd[0])
		f.mu.Lock()
		f.cmds = append(f.cmds, cmd)
		f.mu.Unlock()
		answer := "-ERR unknown command\r\n"
		if cmd[0] == "HELLO" {
			answer = "-ERR unknown command 'HELLO'\r\n"
		} else if a := f.reply(cmd); a != "" {
			answer = a
		}
		if _, err := io.WriteString(c, answer); err != nil {
			return
		}
	}
}

// readCommand reads one command as go-redis sends it: an array of bulk
// strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || !strings.HasPrefix(line, "*") || n < 1 {
		return nil, fmt.Errorf("not a command: %q", line)
	}
	cmd := make([]string, n)
	for i := range cmd {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
		if err != nil || size < 0 {
			return nil, fmt.Errorf("not a bulk string: %q", line)
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		cmd[i] = string(b[:size])
	}
	return cmd, nil
}

// commands returns the commands named name (upper case) received so far.
func (f *fakeRedis) commands(name string) [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]string
	for _, c := range f.cmds {
		if c[0] == name {
			out = append(out, c)
		}
	}
	return out
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// dataNode answers as a Redis that holds the data: AUTH, SELECT and PING.
func dataNode(cmd []string) string {
	switch cmd[0] {
	case "AUTH", "SELECT", "CLIENT":
		return "+OK\r\n"
	case "PING":
		return "+PONG\r\n"
	}
	return ""
}

// fakeSentinel answers as a Sentinel that monitors master under the name
// master.
func fakeSentinel(name, master string) func([]string) string {
	host, port, _ := net.SplitHostPort(master)
	return func(cmd []string) string {
		switch cmd[0] {
		case "AUTH", "CLIENT":
			return "+OK\r\n"
		case "SUBSCRIBE", "PSUBSCRIBE":
			var b strings.Builder
			for i, ch := range cmd[1:] {
				fmt.Fprintf(&b, "*3\r\n%s%s:%d\r\n", bulk(strings.ToLower(cmd[0])), bulk(ch), i+1)
			}
			return b.String()
		case "SENTINEL":
			if len(cmd) < 3 {
				return ""
			}
			switch strings.ToLower(cmd[1]) {
			case "get-master-addr-by-name":
				if cmd[2] != name {
					return "*-1\r\n" // Sentinel's answer for a name it does not monitor
				}
				return "*2\r\n" + bulk(host) + bulk(port)
			case "sentinels", "replicas", "slaves":
				return "*0\r\n"
			}
		}
		return ""
	}
}

// TestSentinelClientAsksTheSentinels: a Sentinel client asks the
// Sentinels of the URL, with the Sentinels' own credentials, for the
// master under the URL's name, then reaches that master with the data
// nodes' credentials and database. Of the two Sentinels only one knows the
// master, first one then the other: the client must be given both.
func TestSentinelClientAsksTheSentinels(t *testing.T) {
	for _, knowing := range []int{0, 1} {
		t.Run(fmt.Sprintf("sentinel %d knows the master", knowing+1), func(t *testing.T) {
			master := startFakeRedis(t, dataNode)
			var sentinels []*fakeRedis
			for i := range 2 {
				name := "elsewhere"
				if i == knowing {
					name = "campus"
				}
				sentinels = append(sentinels, startFakeRedis(t, fakeSentinel(name, master.addr)))
			}
			tg, err := Parse(fmt.Sprintf("redis-sentinel://app:data-pw@%s,%s/4?master=campus&sentinel_username=sen&sentinel_password=sen-pw",
				sentinels[0].addr, sentinels[1].addr))
			require.NoError(t, err)
			c := tg.Client(Timeouts{Dial: time.Second, Read: time.Second, Write: time.Second, Pool: time.Second})
			defer c.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			require.NoError(t, c.Ping(ctx).Err())

			asked := false
			for _, cmd := range sentinels[knowing].commands("SENTINEL") {
				if strings.EqualFold(cmd[1], "get-master-addr-by-name") {
					asked = true
					assert.Equal(t, "campus", cmd[2], "the master's name")
				}
			}
			assert.True(t, asked, "the Sentinel that knows the master was not asked for it")
			require.NotEmpty(t, sentinels[knowing].commands("AUTH"), "the Sentinels' credentials")
			for _, s := range sentinels {
				for _, auth := range s.commands("AUTH") {
					assert.Equal(t, []string{"AUTH", "sen", "sen-pw"}, auth, "a Sentinel is sent the Sentinels' credentials only")
				}
			}
			auths := master.commands("AUTH")
			require.NotEmpty(t, auths, "the master is reached")
			for _, auth := range auths {
				assert.Equal(t, []string{"AUTH", "app", "data-pw"}, auth)
			}
			assert.Contains(t, master.commands("SELECT"), []string{"SELECT", "4"})
			assert.NotEmpty(t, master.commands("PING"), "the command went to the master")
		})
	}
}

// TestSentinelClientUnknownMaster: Sentinels that monitor no master under
// the URL's name give an error, not a connection somewhere else.
func TestSentinelClientUnknownMaster(t *testing.T) {
	master := startFakeRedis(t, dataNode)
	s := startFakeRedis(t, fakeSentinel("other", master.addr))
	tg, err := Parse(fmt.Sprintf("redis-sentinel://:pw@%s?master=campus", s.addr))
	require.NoError(t, err)
	c := tg.Client(Timeouts{Dial: time.Second, Read: time.Second, Write: time.Second, Pool: time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err = c.Ping(ctx).Err()
	require.Error(t, err)
	assert.False(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Empty(t, master.commands("PING"))
	assert.True(t, slices.ContainsFunc(s.commands("SENTINEL"), func(cmd []string) bool { return len(cmd) > 2 && cmd[2] == "campus" }))
}
