package contract_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/tests/testenv"
)

// TestNotificationStore: ids are set, lists are the user's only, unread
// first; marking read is the owner's and once; After and LatestID serve a
// live stream.
func TestNotificationStore(t *testing.T) {
	for _, st := range testenv.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			r := setup(t, st.URL(t))
			repo := store.NewNotificationRepository(r.db)
			ctx := context.Background()
			alice := newUser(t, r, "alice", identity.RoleStudent, nil)
			bob := newUser(t, r, "bob", identity.RoleStudent, nil)

			latest, err := repo.LatestID(ctx, alice.ID)
			require.NoError(t, err)
			assert.Zero(t, latest)
			ns := []notification.Notification{
				{UserID: alice.ID, Kind: "k", Title: "a1", CreatedAt: at(0)},
				{UserID: alice.ID, Kind: "k", Title: "a2", CreatedAt: at(time.Minute)},
				{UserID: bob.ID, Kind: "k", Title: "b1", CreatedAt: at(time.Minute)},
			}
			require.NoError(t, repo.Create(ctx, ns))
			require.Positive(t, ns[0].ID)
			assert.Less(t, ns[0].ID, ns[1].ID)

			read, err := repo.MarkRead(ctx, alice.ID, ns[1].ID, at(time.Hour))
			require.NoError(t, err)
			require.NotNil(t, read.ReadAt)
			again, err := repo.MarkRead(ctx, alice.ID, ns[1].ID, at(2*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, *read.ReadAt, *again.ReadAt, "the first read time is kept")
			_, err = repo.MarkRead(ctx, bob.ID, ns[0].ID, at(time.Hour))
			assert.Equal(t, fault.NotFound, fault.KindOf(err), "another user's notification")

			list, err := repo.List(ctx, alice.ID, notification.Filter{}, page.Request{Limit: 10})
			require.NoError(t, err)
			require.Equal(t, 2, list.Total)
			assert.Equal(t, "a1", list.Items[0].Title, "unread first")
			unread, err := repo.List(ctx, alice.ID, notification.Filter{UnreadOnly: true}, page.Request{Limit: 10})
			require.NoError(t, err)
			assert.Equal(t, 1, unread.Total)

			after, err := repo.After(ctx, alice.ID, ns[0].ID, 10)
			require.NoError(t, err)
			require.Len(t, after, 1)
			assert.Equal(t, "a2", after[0].Title)
			latest, err = repo.LatestID(ctx, alice.ID)
			require.NoError(t, err)
			assert.Equal(t, ns[1].ID, latest)

			n, err := repo.MarkAllRead(ctx, alice.ID, at(3*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			n, err = repo.MarkAllRead(ctx, bob.ID, at(3*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 1, n)
		})
	}
}
