// Package freshness caches derived figures (analytics, reports) for an
// hour and keeps them fresh: each figure names the areas of data it is
// computed from, every cached answer is filed under the current
// generation of those areas, and a committed domain event about an area
// starts a new generation, so no answer computed before a change is served
// after it (on every replica, when the cache is Redis). A cache that fails
// is a miss: the figure is computed from the database.
package freshness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/ports"
)

// Area is a kind of data figures are computed from.
type Area string

// Areas.
const (
	Attendance Area = "attendance"
	Complaints Area = "complaints"
	Risks      Area = "risks"
	Students   Area = "students"
	Schedules  Area = "schedules"
	Clubs      Area = "clubs"
	Anomalies  Area = "anomalies"
)

// TTL is how long an answer is kept (the contract's strategy for reports
// and analytics).
const TTL = time.Hour

// generationTTL outlives every answer filed under a generation.
const generationTTL = 2 * TTL

// areaOf is the area an event's aggregate changes.
var areaOf = map[string]Area{
	"attendance": Attendance, "complaint": Complaints, "risk": Risks, "student": Students,
	"schedule": Schedules, "club": Clubs, "anomaly": Anomalies,
}

// AreasOf lists the areas the events change, once each.
func AreasOf(events []event.Event) []Area {
	var out []Area
	seen := map[Area]bool{}
	for _, e := range events {
		if a, ok := areaOf[e.Aggregate]; ok && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// Cache files answers by area generations.
type Cache struct {
	cache ports.Cache
	tx    ports.TxRunner
}

// New builds the cache.
func New(cache ports.Cache, tx ports.TxRunner) *Cache { return &Cache{cache: cache, tx: tx} }

func generationKey(a Area) string { return "freshness:gen:" + string(a) }

// generation is the area's current generation, starting one if none.
func (c *Cache) generation(ctx context.Context, a Area) (string, error) {
	if b, ok, err := c.cache.Get(ctx, generationKey(a)); err != nil {
		return "", err
	} else if ok {
		return string(b), nil
	}
	g := newGeneration()
	if err := c.cache.Set(ctx, generationKey(a), []byte(g), generationTTL); err != nil {
		return "", err
	}
	return g, nil
}

func newGeneration() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Touch starts a new generation of each area once the transaction in ctx
// commits (at once without one).
func (c *Cache) Touch(ctx context.Context, areas ...Area) {
	if len(areas) == 0 {
		return
	}
	keys := make([]string, len(areas))
	for i, a := range areas {
		keys[i] = generationKey(a)
	}
	c.tx.AfterCommit(ctx, func() { _ = c.cache.Delete(context.WithoutCancel(ctx), keys...) })
}

// Get returns the figure named name for params (a JSON-encodable value)
// from the cache, or computes it and files it under the current
// generations of the areas it is computed from.
func Get[T any](ctx context.Context, c *Cache, name string, params any, areas []Area, compute func(ctx context.Context) (T, error)) (T, error) {
	key, err := c.key(ctx, name, params, areas)
	if err != nil { // the cache is down: compute
		return compute(ctx)
	}
	var cached T
	if ok, err := c.cache.GetValue(ctx, key, &cached); err == nil && ok {
		return cached, nil
	}
	v, err := compute(ctx)
	if err != nil {
		return v, err
	}
	_ = c.cache.SetValue(ctx, key, v, TTL) // a failed set only costs speed
	return v, nil
}

func (c *Cache) key(ctx context.Context, name string, params any, areas []Area) (string, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return "", fmt.Errorf("cache key of %s: %w", name, err)
	}
	gens := make([]string, len(areas))
	for i, a := range areas {
		if gens[i], err = c.generation(ctx, a); err != nil {
			return "", err
		}
	}
	return "freshness:v1:" + name + ":" + strings.Join(gens, ".") + ":" + string(p), nil
}

// Outbox is the outbox every use case appends to: it starts new
// generations of the areas the appended events change, once they commit.
type Outbox struct {
	StoredOutbox
	c *Cache
}

// StoredOutbox is the database's outbox, which Outbox wraps.
type StoredOutbox interface{ ports.Outbox }

// NewOutbox wraps outbox.
func NewOutbox(outbox StoredOutbox, c *Cache) *Outbox { return &Outbox{StoredOutbox: outbox, c: c} }

// Append records the events and, after they commit, touches their areas.
func (o *Outbox) Append(ctx context.Context, events ...event.Event) error {
	if err := o.StoredOutbox.Append(ctx, events...); err != nil {
		return err
	}
	o.c.Touch(ctx, AreasOf(events)...)
	return nil
}
