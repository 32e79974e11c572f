package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/campus/campus/tests/loadkit"

	"github.com/redis/go-redis/v9"
)

// The Sentinel and Cluster deployments below are private to the test that
// starts them: redis-server processes on free loopback ports, their files
// in t.TempDir(), stopped when the test ends. They need the redis-server
// and redis-cli binaries (Redis 7); without them the test skips, or fails
// under CAMPUS_TEST_REQUIRE_SERVICES=1, as for an unreachable service.

// HAPassword is the password of every data node of these deployments,
// and HASentinelPassword the Sentinel's, so that the tests prove each of
// REDIS_URL's credentials reaches its kind of connection.
const (
	HAPassword         = "ha-secret"
	HASentinelPassword = "ha-sentinel-secret"
)

// haStart bounds how long a deployment may take to come up.
const haStart = 20 * time.Second

// RedisSentinel is a master, two replicas and one Sentinel watching them
// (quorum 1: a master is down for the Sentinel 0.5 s after it stops
// answering).
type RedisSentinel struct {
	// URL is the REDIS_URL of the deployment (redis-sentinel://).
	URL string
	// Master is the name the Sentinel knows the master by.
	Master string

	sentinel string            // the Sentinel's address
	kill     map[string]func() // data node address -> SIGKILL it
}

// StartRedisSentinel starts the deployment and waits until the Sentinel
// knows both replicas as healthy failover candidates.
func StartRedisSentinel(t testing.TB) *RedisSentinel {
	t.Helper()
	requireRedisBinaries(t)
	dir := t.TempDir()
	s := &RedisSentinel{Master: "campus", kill: map[string]func(){}}

	master, kill := startRedis(t, dir, "master", nil)
	s.kill[master] = kill
	var replicas []string
	for _, name := range []string{"replica-1", "replica-2"} {
		replica, kill := startRedis(t, dir, name, []string{"replicaof 127.0.0.1 " + portOf(master)})
		s.kill[replica] = kill
		replicas = append(replicas, replica)
	}
	ctx, cancel := context.WithTimeout(context.Background(), haStart)
	defer cancel()
	// In sync before the Sentinel starts, so that its first look at the
	// replicas (it looks again only every 10 s) finds them healthy.
	for _, replica := range replicas {
		node := s.Node(replica)
		waitUntil(t, ctx, replica+" to sync with the master", func() (bool, string) {
			info, err := node.Info(ctx, "replication").Result()
			return err == nil && strings.Contains(info, "master_link_status:up"), fmt.Sprint(info, err)
		})
		_ = node.Close()
	}

	s.sentinel, _ = startRedisProcess(t, dir, "sentinel", true, []string{
		"sentinel monitor " + s.Master + " 127.0.0.1 " + portOf(master) + " 1",
		"sentinel auth-pass " + s.Master + " " + HAPassword,
		"sentinel down-after-milliseconds " + s.Master + " 500",
		"sentinel failover-timeout " + s.Master + " 10000",
		"requirepass " + HASentinelPassword,
	})
	s.URL = fmt.Sprintf("redis-sentinel://:%s@%s/0?master=%s&sentinel_password=%s", HAPassword, s.sentinel, s.Master, HASentinelPassword)
	sc := s.sentinelClient()
	defer sc.Close()
	waitUntil(t, ctx, "the Sentinel to see the replicas", func() (bool, string) {
		known, err := sc.Replicas(ctx, s.Master).Result()
		if err != nil {
			return false, err.Error()
		}
		healthy := 0
		for _, r := range known {
			if slices.Contains(replicas, r["ip"]+":"+r["port"]) && r["flags"] == "slave" && r["master-link-status"] == "ok" {
				healthy++
			}
		}
		return healthy == len(replicas), fmt.Sprint(known)
	})
	return s
}

// sentinelClient is a client of the Sentinel, for the helpers' own
// questions.
func (s *RedisSentinel) sentinelClient() *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: s.sentinel, Password: HASentinelPassword})
}

// MasterAddr is the master's address as the Sentinel gives it.
func (s *RedisSentinel) MasterAddr(ctx context.Context) (string, error) {
	sc := s.sentinelClient()
	defer sc.Close()
	addr, err := sc.GetMasterAddrByName(ctx, s.Master).Result()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(addr[0], addr[1]), nil
}

// Replicate waits until n replicas have every write the master has taken
// (WAIT). Replication is asynchronous: a test that moves the master calls
// it first, so that it is about the clients, not about lost writes.
func (s *RedisSentinel) Replicate(t testing.TB, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), haStart)
	defer cancel()
	addr, err := s.MasterAddr(ctx)
	if err != nil {
		t.Fatalf("sentinel: master address: %v", err)
	}
	master := s.Node(addr)
	defer master.Close()
	// Right after a failover the other replica may still be syncing with
	// the new master.
	waitUntil(t, ctx, fmt.Sprintf("%d replicas in sync with %s", n, addr), func() (bool, string) {
		synced, err := master.Do(ctx, "WAIT", n, 500).Int()
		return err == nil && synced >= n, fmt.Sprint(synced, err)
	})
}

// Node is a plain client of one data node.
func (s *RedisSentinel) Node(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Password: HAPassword, MaxRetries: -1})
}

// Failover makes the Sentinel promote the replica (SENTINEL FAILOVER) and
// returns once the Sentinel names it as the master and it acts as one; the
// old master is then its replica. It returns the old and new addresses.
func (s *RedisSentinel) Failover(t testing.TB) (from, to string) {
	t.Helper()
	ctx, cancel, from := s.moving(t)
	defer cancel()
	sc := s.sentinelClient()
	defer sc.Close()
	// NOGOODSLAVE while the Sentinel has not refreshed the replicas' state.
	waitUntil(t, ctx, "SENTINEL FAILOVER to be accepted", func() (bool, string) {
		err := sc.Failover(ctx, s.Master).Err()
		return err == nil, fmt.Sprint(err)
	})
	return from, s.waitNewMaster(t, ctx, from)
}

// moving starts a master move: a deadline for it and the master now.
func (s *RedisSentinel) moving(t testing.TB) (context.Context, context.CancelFunc, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), haStart)
	from, err := s.MasterAddr(ctx)
	if err != nil {
		cancel()
		t.Fatalf("sentinel: master address: %v", err)
	}
	return ctx, cancel, from
}

// KillMaster SIGKILLs the master and returns once the Sentinel has seen it
// down and promoted a replica that acts as the master. It returns the old
// and new addresses.
func (s *RedisSentinel) KillMaster(t testing.TB) (from, to string) {
	t.Helper()
	ctx, cancel, from := s.moving(t)
	defer cancel()
	s.kill[from]()
	return from, s.waitNewMaster(t, ctx, from)
}

// waitNewMaster waits until the Sentinel has finished moving the master
// away from from: its failover is over, which is when it announces the
// new master (+switch-master) to the clients subscribed to it. Until then
// it already answers the promoted replica's address to a client asking,
// while clients that have not asked keep their connections to the old
// master.
func (s *RedisSentinel) waitNewMaster(t testing.TB, ctx context.Context, from string) (to string) { //nolint:revive // t first, as in every helper here
	t.Helper()
	sc := s.sentinelClient()
	defer sc.Close()
	waitUntil(t, ctx, "the Sentinel to switch to a new master", func() (bool, string) {
		m, err := sc.Master(ctx, s.Master).Result()
		if err != nil {
			return false, err.Error()
		}
		to = net.JoinHostPort(m["ip"], m["port"])
		if to == from || m["flags"] != "master" {
			return false, fmt.Sprint(m)
		}
		node := s.Node(to)
		defer node.Close()
		info, err := node.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "role:master"), fmt.Sprint(info, err)
	})
	return to
}

// RedisCluster is a Redis Cluster of masters without replicas.
type RedisCluster struct {
	// URL is the REDIS_URL of the deployment (redis-cluster://, one seed
	// node: the client finds the others).
	URL string
	// Addrs are the masters' addresses.
	Addrs []string
}

// StartRedisCluster starts n masters with cluster-enabled, joins them with
// `redis-cli --cluster create` (the slots split evenly) and waits until
// every node reports cluster_state:ok.
func StartRedisCluster(t testing.TB, n int) *RedisCluster {
	t.Helper()
	requireRedisBinaries(t)
	dir := t.TempDir()
	c := &RedisCluster{}
	for i := range n {
		bus, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		addr, _ := startRedis(t, dir, fmt.Sprintf("node-%d", i), []string{
			"cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 2000", "cluster-port " + strconv.Itoa(bus),
		})
		c.Addrs = append(c.Addrs, addr)
	}
	args := append([]string{"-a", HAPassword, "--no-auth-warning", "--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), haStart)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil { //nolint:gosec // addresses chosen here
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, addr := range c.Addrs {
		node := redis.NewClient(&redis.Options{Addr: addr, Password: HAPassword})
		waitUntil(t, ctx, "cluster_state:ok on "+addr, func() (bool, string) {
			info, err := node.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok"), fmt.Sprint(info, err)
		})
		_ = node.Close()
	}
	c.URL = fmt.Sprintf("redis-cluster://:%s@%s", HAPassword, c.Addrs[0])
	return c
}

// Client is a cluster client of the deployment, for a test's own checks.
func (c *RedisCluster) Client() *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs, Password: HAPassword})
}

// requireRedisBinaries skips (or fails) t when redis-server or redis-cli
// is not installed.
func requireRedisBinaries(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			report(t, bin+" is not installed (Redis Sentinel and Cluster tests start their own servers)")
		}
	}
}

// startRedis starts a password-protected data node named name; extra are
// more configuration lines. It returns the node's address and a function
// that SIGKILLs it.
func startRedis(t testing.TB, dir, name string, extra []string) (string, func()) {
	t.Helper()
	// A replica's first sync starts at once (Redis waits 5 s by default,
	// for more replicas to share one transfer).
	conf := append([]string{"requirepass " + HAPassword, "masterauth " + HAPassword, `save ""`, "appendonly no", "repl-diskless-sync-delay 0"}, extra...)
	return startRedisProcess(t, dir, name, false, conf)
}

// startRedisProcess writes a configuration file (a Sentinel rewrites its
// own, and a node's CONFIG REWRITE after a failover needs one), starts
// redis-server on it and waits until it answers PING. It returns the
// address and a function that SIGKILLs the process (also run when t ends).
func startRedisProcess(t testing.TB, dir, name string, sentinel bool, conf []string) (string, func()) {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, name)
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	lines := append([]string{"port " + strconv.Itoa(port), "bind 127.0.0.1", "dir " + home, "logfile " + filepath.Join(home, "log")}, conf...)
	file := filepath.Join(home, "redis.conf")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{file}
	if sentinel {
		args = append(args, "--sentinel")
	}
	cmd := exec.Command("redis-server", args...) //nolint:gosec // a file written here
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	opts := &redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, Password: HAPassword}
	if sentinel {
		opts.Password = HASentinelPassword
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), haStart)
	defer cancel()
	waitUntil(t, ctx, name+" to answer PING", func() (bool, string) {
		err := c.Ping(ctx).Err()
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(home, "log"))
			return false, fmt.Sprintf("%v\n%s", err, log)
		}
		return true, ""
	})
	return addr, stop
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) { return loadkit.FreePort() }

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// waitUntil polls cond every 50 ms until it holds, failing t with cond's
// last word when ctx ends first.
func waitUntil(t testing.TB, ctx context.Context, what string, cond func() (bool, string)) { //nolint:revive // t first, as in every helper here
	t.Helper()
	for {
		ok, last := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; last: %s", what, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
