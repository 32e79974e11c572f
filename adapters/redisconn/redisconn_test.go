package redisconn

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Runs against real Sentinel and Cluster deployments are in
// tests/contract/redisha_test.go and tests/e2e/redisha_test.go.

func TestParseGood(t *testing.T) {
	tests := []struct {
		url  string
		want Target
	}{
		{"redis://127.0.0.1:6379/15", Target{Mode: Server, Addrs: []string{"127.0.0.1:6379"}, DB: 15}},
		{"redis://:pw@cache:6380/2", Target{Mode: Server, Addrs: []string{"cache:6380"}, Password: "pw", DB: 2}},
		{"rediss://user:pw@cache/0", Target{Mode: Server, Addrs: []string{"cache:6379"}, Username: "user", Password: "pw"}},
		{"REDIS://cache:6379", Target{Mode: Server, Addrs: []string{"cache:6379"}}},
		{"redis://cache:6379/0?dial_timeout=3s", Target{Mode: Server, Addrs: []string{"cache:6379"}}}, // go-redis's options still parse

		{"redis-sentinel://s1:26379,s2:26380/3?master=mymaster", Target{Mode: Sentinel,
			Addrs: []string{"s1:26379", "s2:26380"}, DB: 3, Master: "mymaster"}},
		{"redis-sentinel://:p%40ss@s1,s2,s3?master=m", Target{Mode: Sentinel,
			Addrs: []string{"s1:26379", "s2:26379", "s3:26379"}, Password: "p@ss", Master: "m"}},
		{"redis-sentinel://app:pw@10.0.0.1:5000/?master=m&sentinel_username=sen&sentinel_password=spw", Target{Mode: Sentinel,
			Addrs: []string{"10.0.0.1:5000"}, Username: "app", Password: "pw", Master: "m", SentinelUsername: "sen", SentinelPassword: "spw"}},
		{"redis-sentinel://[::1]:26379,[fe80::1]/1?master=m", Target{Mode: Sentinel,
			Addrs: []string{"[::1]:26379", "[fe80::1]:26379"}, DB: 1, Master: "m"}},
		{"Redis-Sentinel://redis_sentinel_1?master=m", Target{Mode: Sentinel, Addrs: []string{"redis_sentinel_1:26379"}, Master: "m"}},

		{"redis-cluster://n1:7000,n2:7001,n3:7002", Target{Mode: Cluster, Addrs: []string{"n1:7000", "n2:7001", "n3:7002"}}},
		{"redis-cluster://:secret@n1", Target{Mode: Cluster, Addrs: []string{"n1:6379"}, Password: "secret"}},
		{"redis-cluster://u:secret@n1:7000/", Target{Mode: Cluster, Addrs: []string{"n1:7000"}, Username: "u", Password: "secret"}},
		{"redis-cluster://n1:7000/0", Target{Mode: Cluster, Addrs: []string{"n1:7000"}}},
		{"redis-cluster://[2001:db8::7]:7000", Target{Mode: Cluster, Addrs: []string{"[2001:db8::7]:7000"}}},
		{"redis-cluster://:p@ss@n1", Target{Mode: Cluster, Addrs: []string{"n1:6379"}, Password: "p@ss"}}, // the host part starts after the last @
		{"redis-sentinel://u:p@ss@s1?master=m", Target{Mode: Sentinel, Addrs: []string{"s1:26379"}, Username: "u", Password: "p@ss", Master: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := Parse(tt.url)
			require.NoError(t, err)
			got.server = nil
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct{ url, problem string }{
		{"", "not a URL: want redis://, rediss://, redis-sentinel:// or redis-cluster://"},
		{"cache:6379", "not a URL"},
		{"://cache", "no scheme"},
		{"http://cache:6379", `unsupported scheme "http": want redis://, rediss://, redis-sentinel:// or redis-cluster://`},
		{"unix:///tmp/redis.sock", `unsupported scheme "unix"`},
		{"rediss-cluster://n1:7000", `unsupported scheme "rediss-cluster"`},
		{"redis://cache:6379/notanumber", "invalid database number"},
		{"redis://cache:6379/0?master=m", "unexpected option: master"},
		{"redis://:hunter2@cache:port/0", "invalid port"},
		{"redis://h1:6379,h2:6379/0", "redis:// names one server: list several hosts with redis-sentinel:// or redis-cluster://"},

		{"redis-sentinel://s1:26379", "redis-sentinel:// needs ?master=<name>"},
		{"redis-sentinel://s1:26379?master=", "needs ?master=<name>"},
		{"redis-sentinel://?master=m", "redis-sentinel:// names no host"},
		{"redis-sentinel://:pw@/0?master=m", "names no host"},
		{"redis-sentinel://s1,,s2?master=m", "empty host in the host list"},
		{"redis-sentinel://s1:26379,?master=m", "empty host"},
		{"redis-sentinel://s1:0?master=m", `port "0" is not a number from 1 to 65535`},
		{"redis-sentinel://s1:65536?master=m", "from 1 to 65535"},
		{"redis-sentinel://s1:+80?master=m", "from 1 to 65535"},
		{"redis-sentinel://s1:?master=m", `port "" is not a number`},
		{"redis-sentinel://:26379?master=m", "no host name before the port"},
		{"redis-sentinel://s 1?master=m", `host "s 1" is not a host name`},
		{"redis-sentinel://::1?master=m", "write an IPv6 address in brackets"},
		{"redis-sentinel://[::1?master=m", "missing ]"},
		{"redis-sentinel://[::1]x?master=m", "want [address]:port"},
		{"redis-sentinel://[10.0.0.1]:26379?master=m", "brackets hold an IPv6 address"},
		{"redis-sentinel://s1/x?master=m", `database "x" is not a number`},
		{"redis-sentinel://s1/-1?master=m", `database "-1" is not a number of zero or more`},
		{"redis-sentinel://s1/0/1?master=m", "the path must be just the database number"},
		{"redis-sentinel://s1?master=m&master=n", `parameter "master" is given 2 times`},
		{"redis-sentinel://s1?master=m&db=2", `unknown parameter "db": redis-sentinel:// takes master, sentinel_username, sentinel_password`},
		{"redis-sentinel://s1?master=m#frag", "a fragment (#...) is not allowed"},
		{"redis-sentinel://s1?master=m&x=%zz", "invalid URL escape"},

		{"redis-cluster://", "redis-cluster:// names no host"},
		{"redis-cluster://n1:7000/1", "a Redis Cluster has only database 0"},
		{"redis-cluster://n1:7000?master=m", `unknown parameter "master": redis-cluster:// takes none`},
		{"redis-cluster://n1:7000,n2:x", `port "x"`},
		{"redis-cluster://:pa/ss@n1", "the host part is cut short: percent-encode / ? # @ in a user name or password (%2F %3F %23 %40)"},
		{"redis://:pa#ss@cache/0", "the host part is cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := Parse(tt.url)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.problem)
		})
	}
}

// TestParseNeverRepeatsThePassword: configuration errors are printed and
// logged, so none may carry a password, whatever else is wrong.
func TestParseNeverRepeatsThePassword(t *testing.T) {
	for _, raw := range []string{
		"redis://:hunter2@cache:port/0", "redis://:hunter2@cache:6379/x", "redis://:hunter2@h1,h2/0",
		"redis-sentinel://:hunter2@s1:x?master=m", "redis-sentinel://:hunter2@s1", "redis-sentinel://u:hunter2@s1?master=m&bad=1",
		"redis-sentinel://s1?master=m&sentinel_password=hunter2&x=1", "redis-cluster://:hunter2@n1/5", "redis-cluster://:hunter2@n1:0",
		"redis-cluster://:hunter2@[::1", "redis-cluster://:hun%zzter2@n1",
		// Unencoded / ? # in a password end the host part early.
		"redis://:hunter2/x@cache:6379/0", "redis://:hunter2?x@cache:6379/0", "rediss://u:hunter2#x@cache/0",
		"redis-cluster://:hunter2/x@n1", "redis-cluster://:hunter2#x@n1", "redis-sentinel://:hunter2?x@s1?master=m",
		"redis-sentinel://u:hunter2/x@s1/0?master=m",
	} {
		_, err := Parse(raw)
		require.Error(t, err, raw)
		assert.NotContains(t, err.Error(), "hunter2", raw)
		_, err = Open(raw, Timeouts{})
		require.ErrorContains(t, err, "REDIS_URL: ", raw)
		assert.NotContains(t, err.Error(), "hunter2", raw)
	}
}

func TestStringHidesPasswords(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://:hunter2@cache:6379/2":                                        "server cache:6379, db 2",
		"redis-sentinel://:hunter2@s1,s2/1?master=m&sentinel_password=hunter2": `sentinel master "m" via s1:26379,s2:26379, db 1`,
		"redis-cluster://:hunter2@n1:7000,n2:7001":                             "cluster via n1:7000,n2:7001",
	} {
		tg, err := Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, want, tg.String())
	}
	assert.Equal(t, "no Redis", Target{}.String())
}

// TestClientKind: each layout gets its go-redis client, with the timeouts
// asked for and retries off, without connecting.
func TestClientKind(t *testing.T) {
	to := Timeouts{Dial: 100 * time.Millisecond, Read: 200 * time.Millisecond, Write: 300 * time.Millisecond, Pool: 400 * time.Millisecond}

	server, err := Parse("redis://app:pw@127.0.0.1:1/3?client_name=campus")
	require.NoError(t, err)
	c := server.Client(to)
	defer c.Close()
	require.IsType(t, &redis.Client{}, c)
	o := c.(*redis.Client).Options()
	assert.Equal(t, "127.0.0.1:1", o.Addr)
	assert.Equal(t, "app", o.Username)
	assert.Equal(t, "pw", o.Password)
	assert.Equal(t, 3, o.DB)
	assert.Equal(t, "campus", o.ClientName, "go-redis's own URL options are kept")
	assert.Equal(t, []time.Duration{to.Dial, to.Read, to.Write, to.Pool}, []time.Duration{o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout})
	assert.Equal(t, 0, o.MaxRetries, "-1 becomes none")
	assert.Equal(t, 1, o.DialerRetries)
	second := server.Client(Timeouts{Dial: time.Second})
	defer second.Close()
	assert.Equal(t, time.Second, second.(*redis.Client).Options().DialTimeout)
	assert.Equal(t, to.Dial, o.DialTimeout, "each client has its own options")

	sentinel, err := Parse("redis-sentinel://app:pw@127.0.0.1:1/4?master=m&sentinel_password=spw")
	require.NoError(t, err)
	fc := sentinel.Client(to)
	defer fc.Close()
	require.IsType(t, &redis.Client{}, fc, "go-redis's failover client is a *redis.Client")
	fo := fc.(*redis.Client).Options()
	// The master and the Sentinels it is asked of are not in the options:
	// TestSentinelClientAsksTheSentinels follows a client to them.
	assert.Equal(t, "app", fo.Username)
	assert.Equal(t, "pw", fo.Password, "the data nodes' password, not the Sentinels'")
	assert.Equal(t, 4, fo.DB)
	assert.Equal(t, []time.Duration{to.Dial, to.Read, to.Write, to.Pool}, []time.Duration{fo.DialTimeout, fo.ReadTimeout, fo.WriteTimeout, fo.PoolTimeout})
	assert.Equal(t, 0, fo.MaxRetries)
	assert.Equal(t, 1, fo.DialerRetries)

	cluster, err := Parse("redis-cluster://app:pw@127.0.0.1:1,127.0.0.1:2")
	require.NoError(t, err)
	cc := cluster.Client(to)
	defer cc.Close()
	require.IsType(t, &redis.ClusterClient{}, cc)
	co := cc.(*redis.ClusterClient).Options()
	assert.Equal(t, []string{"127.0.0.1:1", "127.0.0.1:2"}, co.Addrs)
	assert.Equal(t, "app", co.Username)
	assert.Equal(t, "pw", co.Password)
	assert.Equal(t, []time.Duration{to.Dial, to.Read, to.Write, to.Pool}, []time.Duration{co.DialTimeout, co.ReadTimeout, co.WriteTimeout, co.PoolTimeout})
	assert.Equal(t, 1, co.DialerRetries)
	// go-redis turns a Cluster's 0 into -1 too: no retries either way.
	assert.Equal(t, -1, co.MaxRetries)
}

// TestClientOfABuiltTarget: a Target written out rather than parsed (no
// go-redis options behind it) still gets its address, credentials,
// database and timeouts.
func TestClientOfABuiltTarget(t *testing.T) {
	to := Timeouts{Dial: 100 * time.Millisecond, Read: 200 * time.Millisecond, Write: 300 * time.Millisecond, Pool: 400 * time.Millisecond}
	c := Target{Mode: Server, Addrs: []string{"cache:6380"}, Username: "app", Password: "pw", DB: 2}.Client(to)
	defer c.Close()
	o := c.(*redis.Client).Options()
	assert.Equal(t, []any{"cache:6380", "app", "pw", 2}, []any{o.Addr, o.Username, o.Password, o.DB})
	assert.Equal(t, []time.Duration{to.Dial, to.Read, to.Write, to.Pool}, []time.Duration{o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout})
	assert.Equal(t, 0, o.MaxRetries)
	assert.Equal(t, 1, o.DialerRetries)
}

// FuzzParse: Parse never panics; what it accepts names at least one
// host:port and a known layout, and a client can be built from it; what
// it refuses is refused without the password.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"redis://127.0.0.1:6379/15", "rediss://u:p@h/1", "redis-sentinel://:pw@h1:26379,h2/0?master=m",
		"redis-sentinel://[::1]:1,[::2]?master=m&sentinel_password=x", "redis-cluster://:pw@n1:7000,n2:7001",
		"redis-cluster://n1/0", "redis-sentinel://s1?master=m#f", "redis-cluster://[::1", "http://x", "",
		"redis://:hunter2pw/x@cache:6379/0", "redis-sentinel://:longpassword@s1:x?master=m",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tg, err := Parse(raw)
		if err != nil {
			// A password is whatever sits between "://user:" and the last
			// "@": no piece of it longer than a few bytes may show.
			if _, after, ok := strings.Cut(raw, "://"); ok {
				if at := strings.LastIndexByte(after, '@'); at > 0 {
					if _, pw, ok := strings.Cut(after[:at], ":"); ok && len(pw) >= 8 && strings.Contains(err.Error(), pw) {
						t.Fatalf("error repeats the password %q: %v", pw, err)
					}
				}
			}
			return
		}
		switch tg.Mode {
		case Server, Sentinel, Cluster:
		default:
			t.Fatalf("mode %q", tg.Mode)
		}
		if len(tg.Addrs) == 0 {
			t.Fatal("no address")
		}
		for _, a := range tg.Addrs {
			if _, _, err := net.SplitHostPort(a); err != nil && tg.Mode != Server {
				t.Fatalf("address %q: %v", a, err)
			}
		}
		if tg.Mode == Sentinel && tg.Master == "" {
			t.Fatal("sentinel without a master")
		}
		if tg.Mode == Cluster && tg.DB != 0 {
			t.Fatalf("cluster db %d", tg.DB)
		}
		if tg.DB < 0 {
			t.Fatalf("db %d", tg.DB)
		}
		_ = tg.Client(Timeouts{Dial: time.Millisecond}).Close()
	})
}
