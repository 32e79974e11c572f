package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// outboxChannel is the PostgreSQL notification channel a trigger on
// outbox_events signals once per inserting statement (migration 0023).
const outboxChannel = "campus_outbox"

// OutboxWatch tells a relay that events were appended, so that it relays
// them at once instead of at its next poll: at the commit of this
// process's own transactions, and on PostgreSQL at every process's,
// through LISTEN/NOTIFY. A signal is a hint: polling stays the guarantee.
type OutboxWatch struct {
	c  chan struct{}
	db *DB
}

// C receives a value after events were appended; several appends before
// it is read give one value.
func (w *OutboxWatch) C() <-chan struct{} { return w.c }

func (w *OutboxWatch) signal() {
	select {
	case w.c <- struct{}{}:
	default:
	}
}

// OutboxWatch is the database's watch on its outbox. On PostgreSQL, run
// its Listen for other processes' appends.
func (db *DB) OutboxWatch() *OutboxWatch { return db.watch }

// Listen relays PostgreSQL's outbox notifications to OutboxWatch
// until ctx ends, on a connection of its own outside the pool. When the
// connection fails it reconnects with a growing pause (up to 5 s) and then
// signals once, for what was appended while it was away. On SQLite there
// is no other process to hear from: it returns at once.
func (w *OutboxWatch) Listen(ctx context.Context, log *slog.Logger) {
	if !w.db.postgres() {
		return
	}
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := w.listenOnce(ctx, func() { pause = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return
		}
		log.Warn("outbox notifications lost; reconnecting", "error", err.Error(), "in", pause.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// listenOnce listens until the connection fails or ctx ends.
func (w *OutboxWatch) listenOnce(ctx context.Context, connected func()) error {
	conn, err := pgx.Connect(ctx, w.db.dsn)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		return err
	}
	connected()
	w.signal() // what was appended before this connection listened
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		w.signal()
	}
}
