package config

import (
	"strings"
	"testing"
)

// TestRedisURLForms: REDIS_URL takes one server, a Sentinel master or a
// Cluster; Load refuses a malformed one with the reason and without the
// password, and MaskURL hides the password of every form.
func TestRedisURLForms(t *testing.T) {
	for _, url := range []string{
		"redis://cache:6379/0",
		"rediss://:pw@cache:6380/1",
		"redis-sentinel://:pw@sentinel-1:26379,sentinel-2:26379,sentinel-3:26379/0?master=campus",
		"redis-sentinel://sentinel?master=campus&sentinel_password=spw",
		"redis-cluster://:pw@node-1:6379,node-2:6379,node-3:6379",
	} {
		c, _ := load(t, map[string]string{"REDIS_URL": url})
		if !c.Redis.Enabled() || c.Redis.URL != url {
			t.Errorf("REDIS_URL %s loaded as %q", url, c.Redis.URL)
		}
	}

	for url, problem := range map[string]string{
		"redis-sentinel://:hunter2@s1:26379,s2:26379/0":              "REDIS_URL: redis-sentinel:// needs ?master=<name>",
		"redis-sentinel://:hunter2@s1:26379,,s2/0?master=m":          "REDIS_URL: empty host in the host list",
		"redis-sentinel://:hunter2@s1/zero?master=m":                 `REDIS_URL: database "zero" is not a number`,
		"redis-sentinel://:hunter2@s1?master=m&password=x":           `REDIS_URL: unknown parameter "password"`,
		"redis-cluster://:hunter2@n1:7000/2":                         "REDIS_URL: a Redis Cluster has only database 0",
		"redis-cluster://:hunter2@n1:99999":                          `REDIS_URL: host "n1:99999": port "99999" is not a number from 1 to 65535`,
		"redis-cluster://:hunter2@":                                  "REDIS_URL: redis-cluster:// names no host",
		"redis://:hunter2@h1:6379,h2:6379/0":                         "REDIS_URL: redis:// names one server",
		"sentinel://:hunter2@s1?master=m":                            `REDIS_URL: unsupported scheme "sentinel": want redis://, rediss://, redis-sentinel:// or redis-cluster://`,
		"redis-sentinel://:hunter2@[::1]:26379,::2:26379/0?master=m": "REDIS_URL: host \"::2:26379\": write an IPv6 address in brackets",
	} {
		e := loadErr(t, map[string]string{"REDIS_URL": url})
		if !hasProblem(e, problem) {
			t.Errorf("REDIS_URL %s: problems %q, want one containing %q", url, e.Problems, problem)
		}
		if strings.Contains(e.Error(), "hunter2") {
			t.Errorf("REDIS_URL %s: the problem repeats the password: %v", url, e)
		}
	}

	for in, want := range map[string]string{
		"redis-sentinel://:pw@s1:26379,s2:26379/0?master=m&sentinel_password=spw": "redis-sentinel://:****@s1:26379,s2:26379/0?master=m&sentinel_password=****",
		"redis-cluster://app:pw@[::1]:7000,[::1]:7001":                            "redis-cluster://app:****@[::1]:7000,[::1]:7001",
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}
