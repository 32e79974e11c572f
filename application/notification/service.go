// Package notification holds the use cases of a user's notifications:
// reading them (unread first), marking them read, following new ones live,
// and the Notify entry point agents use.
package notification

import (
	"context"
	"fmt"
	"time"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// Service implements the notification use cases.
type Service struct {
	repo  ports.NotificationRepository
	clock ports.Clock
}

// NewService builds the service.
func NewService(repo ports.NotificationRepository, clock ports.Clock) *Service {
	return &Service{repo: repo, clock: clock}
}

func requireUser(a identity.Actor) error {
	if !a.Authenticated() {
		return fault.New(fault.Unauthenticated, "Not authenticated")
	}
	return nil
}

// List pages through the caller's notifications, unread first.
func (s *Service) List(ctx context.Context, a identity.Actor, f notification.Filter, p page.Request) (page.Result[notification.Notification], error) {
	if err := requireUser(a); err != nil {
		return page.Result[notification.Notification]{}, err
	}
	return s.repo.List(ctx, a.UserID, f, p)
}

// MarkRead marks one of the caller's notifications read; another user's
// is not found.
func (s *Service) MarkRead(ctx context.Context, a identity.Actor, id int64) (notification.Notification, error) {
	if err := requireUser(a); err != nil {
		return notification.Notification{}, err
	}
	return s.repo.MarkRead(ctx, a.UserID, id, s.clock.Now())
}

// ReadAll marks every unread notification of the caller read.
func (s *Service) ReadAll(ctx context.Context, a identity.Actor) (int, error) {
	if err := requireUser(a); err != nil {
		return 0, err
	}
	return s.repo.MarkAllRead(ctx, a.UserID, s.clock.Now())
}

// Notify records notifications (in ctx's transaction, with the change that
// caused them); agents call it.
func (s *Service) Notify(ctx context.Context, ns ...notification.Notification) error {
	now := s.clock.Now()
	for i := range ns {
		if ns[i].CreatedAt.IsZero() {
			ns[i].CreatedAt = now
		}
	}
	return s.repo.Create(ctx, ns)
}

// Cursor is where a live stream starts: after lastEventID when the client
// resumes, else after the caller's newest notification (only new ones are
// streamed).
func (s *Service) Cursor(ctx context.Context, a identity.Actor, lastEventID int64) (int64, error) {
	if err := requireUser(a); err != nil {
		return 0, err
	}
	if lastEventID > 0 {
		return lastEventID, nil
	}
	return s.repo.LatestID(ctx, a.UserID)
}

// Next returns the caller's notifications after the cursor, oldest first.
// A stream polls it: every replica reads the same table, so a notification
// an agent records in a worker process reaches a stream on any replica.
func (s *Service) Next(ctx context.Context, a identity.Actor, after int64) ([]notification.Notification, error) {
	if err := requireUser(a); err != nil {
		return nil, err
	}
	return s.repo.After(ctx, a.UserID, after, 100)
}

// PollEvery is how often a live stream looks for new notifications.
const PollEvery = time.Second

// ActiveAdmins lists the ids of every active admin: whom agents tell about
// what concerns the campus as a whole (a clash, an anomaly).
func ActiveAdmins(ctx context.Context, users ports.UserRepository) ([]int64, error) {
	role, active := identity.RoleAdmin, true
	var out []int64
	for offset := 0; ; {
		res, err := users.List(ctx, identity.UserFilter{Role: &role, IsActive: &active}, page.Request{Limit: page.MaxLimit, Offset: offset})
		if err != nil {
			return nil, fmt.Errorf("list active admins: %w", err)
		}
		for _, u := range res.Items {
			out = append(out, u.ID)
		}
		offset += len(res.Items)
		if len(res.Items) == 0 || offset >= res.Total {
			return out, nil
		}
	}
}
