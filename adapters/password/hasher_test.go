package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

var _ ports.PasswordHasher = (*Hasher)(nil)

// testCost keeps the suite fast; the cost-specific behaviour is tested
// with explicit costs.
const testCost = bcrypt.MinCost

func newHasher(t testing.TB, cost int) *Hasher {
	t.Helper()
	h, err := NewHasher(cost)
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	return h
}

func TestHashAndCompare(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, testCost)
	hash, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$2a$") {
		t.Fatalf("not a bcrypt hash: %q", hash)
	}
	if c, _ := bcrypt.Cost([]byte(hash)); c != testCost {
		t.Fatalf("cost = %d, want %d", c, testCost)
	}
	ok, err := h.Compare(ctx, hash, "correct horse battery staple")
	if err != nil || !ok {
		t.Fatalf("Compare(right) = %v, %v", ok, err)
	}
	ok, err = h.Compare(ctx, hash, "correct horse battery stapler")
	if err != nil || ok {
		t.Fatalf("Compare(wrong) = %v, %v", ok, err)
	}
}

func TestLongPasswords(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, testCost)
	exactly72 := strings.Repeat("a", identity.MaxPasswordBytes)
	if _, err := h.Hash(ctx, exactly72); err != nil {
		t.Fatalf("72 bytes refused: %v", err)
	}
	// 73 bytes, and a multi-byte password of few runes but too many bytes.
	for _, long := range []string{exactly72 + "b", strings.Repeat("é", 37)} {
		_, err := h.Hash(ctx, long)
		if fault.KindOf(err) != fault.Invalid {
			t.Fatalf("Hash(%d bytes) err = %v, want invalid", len(long), err)
		}
	}
	// bcrypt ignores bytes after 72: a hash of the first 72 must not let
	// a longer password in.
	hash, err := h.Hash(ctx, exactly72)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := h.Compare(ctx, hash, exactly72+"anything")
	if err != nil || ok {
		t.Fatalf("Compare(long) = %v, %v; want false, nil", ok, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	low := newHasher(t, bcrypt.MinCost)
	high := newHasher(t, bcrypt.MinCost+1)
	lowHash, _ := low.Hash(ctx, "password-for-rehash")
	highHash, _ := high.Hash(ctx, "password-for-rehash")
	if !high.NeedsRehash(lowHash) {
		t.Fatal("lower-cost hash not flagged")
	}
	if high.NeedsRehash(highHash) || low.NeedsRehash(highHash) {
		t.Fatal("same or higher cost flagged")
	}
	if high.NeedsRehash("") || high.NeedsRehash("not a hash") {
		t.Fatal("unreadable hash flagged")
	}
	// The old hash still verifies under the new hasher, which is what lets
	// the login upgrade it.
	if ok, err := high.Compare(ctx, lowHash, "password-for-rehash"); err != nil || !ok {
		t.Fatalf("lower-cost hash no longer verifies: %v, %v", ok, err)
	}
}

func TestCompareEmptyHashUsesDummy(t *testing.T) {
	h := newHasher(t, testCost)
	if c, _ := bcrypt.Cost(h.dummy); c != testCost {
		t.Fatalf("dummy cost = %d, want %d", c, testCost)
	}
	for _, p := range []string{"", "password", "anything at all"} {
		ok, err := h.Compare(context.Background(), "", p)
		if err != nil || ok {
			t.Fatalf("Compare(empty hash, %q) = %v, %v", p, ok, err)
		}
	}
}

func TestCompareCorruptHash(t *testing.T) {
	h := newHasher(t, testCost)
	ok, err := h.Compare(context.Background(), "$2a$04$short", "pw")
	if ok || err == nil {
		t.Fatalf("corrupt hash: %v, %v; want false and an error", ok, err)
	}
}

func TestCancelWhilePoolFull(t *testing.T) {
	h := newHasher(t, testCost)
	release := occupyLanes(t, h.lanes)
	defer release()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := h.Hash(ctx, "waiting-password"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash err = %v, want deadline exceeded", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := h.Compare(ctx2, "", "waiting-password"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Compare err = %v, want canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("cancelled callers kept waiting")
	}
	// Once the lanes are free again, the hasher works.
	release()
	if _, err := h.Hash(context.Background(), "after-the-wait"); err != nil {
		t.Fatalf("Hash after release: %v", err)
	}
}

// occupyLanes hands every lane a job that waits until the returned function
// is called, and returns once all of them are busy.
func occupyLanes(t *testing.T, l *lanes) (release func()) {
	t.Helper()
	gate := make(chan struct{})
	taken := make(chan struct{}, l.size)
	for range l.size {
		go func() { _ = l.do(context.Background(), func() { taken <- struct{}{}; <-gate }) }()
	}
	for range l.size {
		select {
		case <-taken:
		case <-time.After(10 * time.Second):
			t.Fatal("the lanes never took the jobs")
		}
	}
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }
}

func TestNewHasherCostRange(t *testing.T) {
	for _, c := range []int{0, 3, 32} {
		if _, err := NewHasher(c); err == nil {
			t.Fatalf("cost %d accepted", c)
		}
	}
	if _, err := ProvideHasher(Cost(testCost)); err != nil {
		t.Fatal(err)
	}
}

func TestCommonPasswords(t *testing.T) {
	list := CommonPasswords()
	if len(list) < 1000 {
		t.Fatalf("only %d common passwords", len(list))
	}
	seen := make(map[string]bool, len(list))
	long := 0
	for _, p := range list {
		if p != strings.ToLower(p) || strings.TrimSpace(p) != p || p == "" {
			t.Fatalf("entry %q not normalised", p)
		}
		if seen[p] {
			t.Fatalf("duplicate entry %q", p)
		}
		seen[p] = true
		if len(p) >= 6 {
			long++
		}
	}
	if long*10 < len(list)*9 {
		t.Fatalf("only %d of %d entries are 6+ characters", long, len(list))
	}
	for _, want := range []string{"123456", "password", "12345678", "qwerty", "letmein", "iloveyou", "password123"} {
		if !seen[want] {
			t.Errorf("%q missing", want)
		}
	}
	// The domain policy consumes the list as is.
	policy := identity.NewPasswordPolicy(8, list)
	if err := policy.Check("password", "Password123", "alice"); err == nil {
		t.Fatal("policy accepted a common password")
	}
	if err := policy.Check("password", "violet-kettle-harbour", "alice"); err != nil {
		t.Fatalf("policy refused an uncommon password: %v", err)
	}
	// Callers get their own copy.
	list[0] = "mutated"
	if CommonPasswords()[0] == "mutated" {
		t.Fatal("CommonPasswords shares its backing array")
	}
}

func BenchmarkHashCost12(b *testing.B) {
	h := newHasher(b, 12)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "benchmark-password"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompareCost12(b *testing.B) {
	h := newHasher(b, 12)
	ctx := context.Background()
	hash, _ := h.Hash(ctx, "benchmark-password")
	for b.Loop() {
		if ok, _ := h.Compare(ctx, hash, "benchmark-password"); !ok {
			b.Fatal("mismatch")
		}
	}
}

// BenchmarkCompareParallel shows the pool at work: throughput is bounded
// by GOMAXPROCS however many goroutines ask.
func BenchmarkCompareParallel(b *testing.B) {
	h := newHasher(b, 10)
	ctx := context.Background()
	hash, _ := h.Hash(ctx, "benchmark-password")
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _ := h.Compare(ctx, hash, "benchmark-password"); !ok {
				b.Error("mismatch")
			}
		}
	})
}
