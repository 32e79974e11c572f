package notification_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/tests/mocks"
)

var (
	ctx = context.Background()
	now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	me  = identity.Actor{UserID: 4, Role: identity.RoleStudent}
)

func newService(t *testing.T) (*appnotification.Service, *mocks.NotificationRepository) {
	repo, clock := mocks.NewNotificationRepository(t), mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	return appnotification.NewService(repo, clock), repo
}

func TestEverythingIsTheCallersOwn(t *testing.T) {
	svc, repo := newService(t)
	repo.EXPECT().MarkRead(mock.Anything, int64(4), int64(9), now).Return(notification.Notification{ID: 9}, nil).Once()
	repo.EXPECT().MarkAllRead(mock.Anything, int64(4), now).Return(2, nil).Once()
	_, err := svc.MarkRead(ctx, me, 9)
	require.NoError(t, err)
	n, err := svc.ReadAll(ctx, me)
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	_, err = svc.MarkRead(ctx, identity.Actor{}, 9)
	assert.Equal(t, fault.Unauthenticated, fault.KindOf(err))
}

func TestStreamCursorResumesOrStartsAtTheNewest(t *testing.T) {
	svc, repo := newService(t)
	c, err := svc.Cursor(ctx, me, 17)
	require.NoError(t, err)
	assert.Equal(t, int64(17), c, "Last-Event-ID resumes")
	repo.EXPECT().LatestID(mock.Anything, int64(4)).Return(30, nil).Once()
	c, err = svc.Cursor(ctx, me, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(30), c, "a new stream sends only what comes next")
}

func TestNotifyStampsTheTime(t *testing.T) {
	svc, repo := newService(t)
	repo.EXPECT().Create(mock.Anything, mock.MatchedBy(func(ns []notification.Notification) bool {
		return len(ns) == 2 && ns[0].CreatedAt.Equal(now) && ns[1].CreatedAt.Equal(now.Add(-time.Hour))
	})).Return(nil).Once()
	require.NoError(t, svc.Notify(ctx, notification.Notification{UserID: 1}, notification.Notification{UserID: 2, CreatedAt: now.Add(-time.Hour)}))
}

// TestActiveAdminsPagesThroughAll: every active admin, however many pages.
func TestActiveAdminsPagesThroughAll(t *testing.T) {
	users := mocks.NewUserRepository(t)
	users.EXPECT().List(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, f identity.UserFilter, p page.Request) (page.Result[identity.User], error) {
			assert.Equal(t, identity.RoleAdmin, *f.Role)
			assert.True(t, *f.IsActive)
			all := make([]identity.User, page.MaxLimit+3)
			for i := range all {
				all[i].ID = int64(i + 1)
			}
			end := min(p.Offset+p.Limit, len(all))
			return page.Result[identity.User]{Items: all[p.Offset:end], Total: len(all), Request: p}, nil
		}).Twice()
	ids, err := appnotification.ActiveAdmins(ctx, users)
	require.NoError(t, err)
	require.Len(t, ids, page.MaxLimit+3)
	assert.Equal(t, int64(page.MaxLimit+3), ids[len(ids)-1])
}
