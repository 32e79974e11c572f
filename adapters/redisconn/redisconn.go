// Package redisconn is the one place REDIS_URL becomes a Redis client. The
// URL names one server (redis://, rediss://, as go-redis parses them), a
// master watched by Redis Sentinel (redis-sentinel://) or a Redis Cluster
// (redis-cluster://); every user of Redis (the cache, the rate limits,
// asynq's client, server, scheduler and inspector, asynqmon) takes the
// redis.UniversalClient built here, so the three layouts run the same code.
package redisconn

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Mode is the layout a REDIS_URL names.
type Mode string

// The layouts.
const (
	Server   Mode = "server"   // redis:// or rediss://: one server
	Sentinel Mode = "sentinel" // redis-sentinel://: the master Sentinel names, followed through failovers
	Cluster  Mode = "cluster"  // redis-cluster://: a Redis Cluster, keys spread over its masters
)

// The schemes, as operators write them.
const (
	SchemeServer    = "redis"
	SchemeServerTLS = "rediss"
	SchemeSentinel  = "redis-sentinel"
	SchemeCluster   = "redis-cluster"
)

// Default ports of a host given without one.
const (
	DefaultSentinelPort = "26379"
	DefaultClusterPort  = "6379"
)

// Target is a parsed REDIS_URL (see Parse).
type Target struct {
	Mode Mode
	// Addrs are host:port: the server, the Sentinels, or the Cluster's
	// seed nodes (the client learns the others from them).
	Addrs []string
	// Username and Password authenticate to the Redis servers that hold
	// the data: the server, the Sentinel master and its replicas, every
	// Cluster node.
	Username, Password string
	// DB is the database number (always 0 on a Cluster).
	DB int
	// Master is the name Sentinel monitors the master under (Sentinel only).
	Master string
	// SentinelUsername and SentinelPassword authenticate to the Sentinels
	// themselves, when they require it (Sentinel only).
	SentinelUsername, SentinelPassword string

	server *redis.Options // Server: go-redis's own parse of the URL
}

// String describes the target without its passwords, for logs.
func (t Target) String() string {
	switch t.Mode {
	case Sentinel:
		return fmt.Sprintf("sentinel master %q via %s, db %d", t.Master, strings.Join(t.Addrs, ","), t.DB)
	case Cluster:
		return "cluster via " + strings.Join(t.Addrs, ",")
	case Server:
		return fmt.Sprintf("server %s, db %d", strings.Join(t.Addrs, ","), t.DB)
	default:
		return "no Redis"
	}
}

// Parse reads a REDIS_URL:
//
//	redis://[[user]:password@]host[:port][/db][?go-redis options]   one server (rediss:// for TLS)
//	redis-sentinel://[[user]:password@]host[:port][,host[:port]...][/db]?master=<name>[&sentinel_username=<u>][&sentinel_password=<p>]
//	redis-cluster://[[user]:password@]host[:port][,host[:port]...]
//
// Sentinel hosts default to port 26379, Cluster hosts to 6379; an IPv6
// host is written in brackets. The userinfo authenticates to the servers
// that hold the data; Sentinels that require a password of their own take
// it from sentinel_password. Errors never repeat the URL (it may hold a
// password).
func Parse(raw string) (Target, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, fmt.Errorf("not a URL: want %s", wantSchemes)
	}
	t, err := parse(raw, scheme, rest)
	if err != nil && misplacedUserinfo(rest) {
		// A password with a raw / ? or # ends the host part early, and
		// the error would quote a piece of it.
		return Target{}, errors.New("the host part is cut short: percent-encode / ? # @ in a user name or password (%2F %3F %23 %40)")
	}
	return t, err
}

// misplacedUserinfo reports an @ past the point where the host part ends.
func misplacedUserinfo(rest string) bool {
	end := strings.IndexAny(rest, "/?#")
	return end >= 0 && !strings.Contains(rest[:end], "@") && strings.Contains(rest[end:], "@")
}

func parse(raw, scheme, rest string) (Target, error) {
	switch strings.ToLower(scheme) {
	case SchemeServer, SchemeServerTLS:
		opt, err := redis.ParseURL(raw)
		if err != nil {
			return Target{}, withoutURL(err)
		}
		if strings.Contains(opt.Addr, ",") {
			return Target{}, fmt.Errorf("%s:// names one server: list several hosts with %s:// or %s://", scheme, SchemeSentinel, SchemeCluster)
		}
		return Target{Mode: Server, Addrs: []string{opt.Addr}, Username: opt.Username, Password: opt.Password, DB: opt.DB, server: opt}, nil
	case SchemeSentinel:
		return parseMulti(Sentinel, scheme, rest)
	case SchemeCluster:
		return parseMulti(Cluster, scheme, rest)
	case "":
		return Target{}, fmt.Errorf("no scheme: want %s", wantSchemes)
	default:
		return Target{}, fmt.Errorf("unsupported scheme %q: want %s", scheme, wantSchemes)
	}
}

const wantSchemes = SchemeServer + "://, " + SchemeServerTLS + "://, " + SchemeSentinel + ":// or " + SchemeCluster + "://"

// withoutURL drops the URL net/url puts in its errors.
func withoutURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// parseMulti reads the two forms with a list of hosts, which net/url does
// not parse (it takes one host, and refuses bracketed IPv6 in a list):
// the hosts are cut out of the authority first, the rest goes through
// net/url with one placeholder host.
func parseMulti(mode Mode, scheme, rest string) (Target, error) {
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hosts := "", authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, hosts = authority[:at+1], authority[at+1:]
	}
	t := Target{Mode: mode}
	defaultPort := DefaultClusterPort
	if mode == Sentinel {
		defaultPort = DefaultSentinelPort
	}
	if hosts == "" {
		return Target{}, fmt.Errorf("%s:// names no host", scheme)
	}
	for h := range strings.SplitSeq(hosts, ",") {
		addr, err := hostPort(h, defaultPort)
		if err != nil {
			return Target{}, err
		}
		t.Addrs = append(t.Addrs, addr)
	}

	u, err := url.Parse("redis://" + userinfo + "placeholder" + tail)
	if err != nil {
		return Target{}, withoutURL(err)
	}
	if u.Fragment != "" || strings.Contains(tail, "#") {
		return Target{}, errors.New("a fragment (#...) is not allowed; percent-encode a # in a password as %23")
	}
	if u.User != nil {
		t.Username = u.User.Username()
		t.Password, _ = u.User.Password()
	}

	path := strings.Trim(u.Path, "/")
	switch {
	case path == "":
	case mode == Cluster && path != "0":
		return Target{}, errors.New("a Redis Cluster has only database 0: drop the path")
	case strings.Contains(path, "/"):
		return Target{}, errors.New("the path must be just the database number, like /0")
	default:
		db, err := strconv.Atoi(path)
		if err != nil || db < 0 {
			return Target{}, fmt.Errorf("database %q is not a number of zero or more", path)
		}
		t.DB = db
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Target{}, fmt.Errorf("query: %w", err)
	}
	allowed := map[Mode][]string{Sentinel: {"master", "sentinel_username", "sentinel_password"}}[mode]
	for k, v := range q {
		switch {
		case !slices.Contains(allowed, k) && len(allowed) == 0:
			return Target{}, fmt.Errorf("unknown parameter %q: %s:// takes none", k, scheme)
		case !slices.Contains(allowed, k):
			return Target{}, fmt.Errorf("unknown parameter %q: %s:// takes %s", k, scheme, strings.Join(allowed, ", "))
		case len(v) > 1:
			return Target{}, fmt.Errorf("parameter %q is given %d times", k, len(v))
		}
	}
	if mode == Sentinel {
		t.Master, t.SentinelUsername, t.SentinelPassword = q.Get("master"), q.Get("sentinel_username"), q.Get("sentinel_password")
		if t.Master == "" {
			return Target{}, fmt.Errorf("%s:// needs ?master=<name>, the name the Sentinels monitor the master under", scheme)
		}
	}
	return t, nil
}

// hostPort checks one entry of a host list and gives it its default port.
func hostPort(h, defaultPort string) (string, error) {
	host, port := h, defaultPort
	switch {
	case h == "":
		return "", errors.New("empty host in the host list")
	case strings.HasPrefix(h, "["):
		closing := strings.IndexByte(h, ']')
		if closing < 0 {
			return "", fmt.Errorf("host %q: missing ]", h)
		}
		host = h[1:closing]
		if after := h[closing+1:]; after != "" {
			p, ok := strings.CutPrefix(after, ":")
			if !ok {
				return "", fmt.Errorf("host %q: want [address]:port", h)
			}
			port = p
		}
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			return "", fmt.Errorf("host %q: brackets hold an IPv6 address", h)
		}
	case strings.Count(h, ":") > 1:
		return "", fmt.Errorf("host %q: write an IPv6 address in brackets, like [::1]:6379", h)
	case strings.Contains(h, ":"):
		host, port, _ = strings.Cut(h, ":")
		if host == "" {
			return "", fmt.Errorf("host %q: no host name before the port", h)
		}
		if !validHostName(host) {
			return "", fmt.Errorf("host %q is not a host name or IPv4 address", host)
		}
	default:
		if !validHostName(host) {
			return "", fmt.Errorf("host %q is not a host name or IPv4 address", host)
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return "", fmt.Errorf("host %q: port %q is not a number from 1 to 65535", h, port)
	}
	return net.JoinHostPort(host, port), nil
}

// validHostName accepts DNS names (with the underscores container names
// carry) and IPv4 addresses.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
		default:
			return false
		}
	}
	return true
}

// Timeouts bound one client's commands. Retries are off whatever they are:
// a Redis that is down must cost a caller one timeout, not several.
type Timeouts struct {
	Dial, Read, Write, Pool time.Duration
}

// Client opens a client for t with timeouts to; it connects lazily, so an
// unreachable Redis shows on the first command, not here. The caller
// closes it.
//
//   - Server: a plain client.
//   - Sentinel: a failover client. It asks the Sentinels for the master on
//     every new connection and drops its connections when they announce a
//     new one, so a failover costs the commands in flight, not a restart.
//   - Cluster: a cluster client. It routes each key to the master of its
//     slot, follows MOVED/ASK redirections (up to 3) and splits a command
//     over several keys (DEL) by slot.
func (t Target) Client(to Timeouts) redis.UniversalClient {
	switch t.Mode {
	case Sentinel:
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: t.Master, SentinelAddrs: t.Addrs,
			SentinelUsername: t.SentinelUsername, SentinelPassword: t.SentinelPassword,
			Username: t.Username, Password: t.Password, DB: t.DB,
			DialTimeout: to.Dial, ReadTimeout: to.Read, WriteTimeout: to.Write, PoolTimeout: to.Pool,
			MaxRetries: -1, DialerRetries: 1,
		})
	case Cluster:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: t.Addrs, Username: t.Username, Password: t.Password,
			DialTimeout: to.Dial, ReadTimeout: to.Read, WriteTimeout: to.Write, PoolTimeout: to.Pool,
			MaxRetries: -1, DialerRetries: 1,
		})
	default:
		opt := redis.Options{Username: t.Username, Password: t.Password, DB: t.DB}
		if t.server != nil {
			opt = *t.server // a copy: NewClient sets its defaults in the options it is given
		} else if len(t.Addrs) > 0 {
			opt.Addr = t.Addrs[0]
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = to.Dial, to.Read, to.Write, to.Pool
		opt.MaxRetries, opt.DialerRetries = -1, 1
		return redis.NewClient(&opt)
	}
}

// Open parses raw and opens a client; errors are prefixed with REDIS_URL.
func Open(raw string, to Timeouts) (redis.UniversalClient, error) {
	t, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return t.Client(to), nil
}
