package ports

import (
	"context"
	"time"

	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/page"
)

// NotificationRepository stores users' notifications.
type NotificationRepository interface {
	// Create stores the notifications (in ctx's transaction) and sets their ids.
	Create(ctx context.Context, ns []notification.Notification) error
	// List pages through a user's notifications, unread first, newest first within each.
	List(ctx context.Context, userID int64, f notification.Filter, p page.Request) (page.Result[notification.Notification], error)
	// MarkRead stamps one of the user's notifications read (fault.NotFound
	// when it is not theirs) and returns it.
	MarkRead(ctx context.Context, userID, id int64, at time.Time) (notification.Notification, error)
	// MarkAllRead stamps every unread one and reports how many.
	MarkAllRead(ctx context.Context, userID int64, at time.Time) (int, error)
	// After lists the user's notifications with an id above afterID, oldest
	// first (what a live stream has not sent yet).
	After(ctx context.Context, userID, afterID int64, limit int) ([]notification.Notification, error)
	// LatestID is the id of the user's newest notification, 0 when none.
	LatestID(ctx context.Context, userID int64) (int64, error)
}
