package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// notificationSet provides the notification repository.
var notificationSet = wire.NewSet(
	NewNotificationRepository,
	wire.Bind(new(ports.NotificationRepository), new(*NotificationRepository)),
)

var _ ports.NotificationRepository = (*NotificationRepository)(nil)

const thingNotification = "Notification"

type notificationRow struct {
	bun.BaseModel `bun:"table:notifications,alias:n"`

	ID         int64      `bun:"id,pk,autoincrement"`
	UserID     int64      `bun:"user_id"`
	Kind       string     `bun:"kind"`
	Title      string     `bun:"title"`
	Body       string     `bun:"body"`
	Resource   string     `bun:"resource"`
	ResourceID string     `bun:"resource_id"`
	CreatedAt  time.Time  `bun:"created_at"`
	ReadAt     *time.Time `bun:"read_at"`
}

func (r notificationRow) domain() notification.Notification {
	return notification.Notification{ID: r.ID, UserID: r.UserID, Kind: r.Kind, Title: r.Title, Body: r.Body,
		Resource: r.Resource, ResourceID: r.ResourceID, CreatedAt: utc(r.CreatedAt), ReadAt: utcPtr(r.ReadAt)}
}

// NotificationRepository implements ports.NotificationRepository.
type NotificationRepository struct{ db *DB }

// NewNotificationRepository builds it.
func NewNotificationRepository(db *DB) *NotificationRepository {
	return &NotificationRepository{db: db}
}

// Create inserts the notifications in one statement and sets their ids.
func (r *NotificationRepository) Create(ctx context.Context, ns []notification.Notification) error {
	for i := range ns { // one statement a row keeps the ids exact on both stores; batches are small
		row := notificationRow{UserID: ns[i].UserID, Kind: ns[i].Kind, Title: ns[i].Title, Body: ns[i].Body,
			Resource: ns[i].Resource, ResourceID: ns[i].ResourceID, CreatedAt: stamp(ns[i].CreatedAt)}
		if _, err := r.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx, &row.ID); err != nil {
			return fmt.Errorf("create notification: %w", translate(err, thingNotification))
		}
		ns[i].ID, ns[i].CreatedAt = row.ID, utc(row.CreatedAt)
	}
	return nil
}

// List pages through a user's notifications, unread first, newest first.
func (r *NotificationRepository) List(ctx context.Context, userID int64, f notification.Filter, p page.Request) (page.Result[notification.Notification], error) {
	p = normalize(p)
	var rows []notificationRow
	q := r.db.conn(ctx).NewSelect().Model(&rows).Where("n.user_id = ?", userID)
	if f.UnreadOnly {
		q = q.Where("n.read_at IS NULL")
	}
	total, err := q.OrderExpr("CASE WHEN n.read_at IS NULL THEN 0 ELSE 1 END, n.id DESC").
		Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[notification.Notification]{}, fmt.Errorf("list notifications: %w", translate(err, thingNotification))
	}
	items := make([]notification.Notification, len(rows))
	for i, row := range rows {
		items[i] = row.domain()
	}
	return page.Result[notification.Notification]{Items: items, Total: int(total), Request: p}, nil
}

// MarkRead stamps one of the user's notifications read (the first time only).
func (r *NotificationRepository) MarkRead(ctx context.Context, userID, id int64, at time.Time) (notification.Notification, error) {
	var out notification.Notification
	err := r.db.inTx(ctx, func(ctx context.Context) error {
		if _, err := r.db.conn(ctx).NewUpdate().Model((*notificationRow)(nil)).Set("read_at = ?", stamp(at)).
			Where("id = ? AND user_id = ? AND read_at IS NULL", id, userID).Exec(ctx); err != nil {
			return fmt.Errorf("mark notification read: %w", translate(err, thingNotification))
		}
		var row notificationRow
		if err := r.db.conn(ctx).NewSelect().Model(&row).Where("n.id = ? AND n.user_id = ?", id, userID).Scan(ctx); err != nil {
			return fmt.Errorf("load notification: %w", translate(err, thingNotification))
		}
		out = row.domain()
		return nil
	})
	return out, err
}

// MarkAllRead stamps every unread notification of the user.
func (r *NotificationRepository) MarkAllRead(ctx context.Context, userID int64, at time.Time) (int, error) {
	res, err := r.db.conn(ctx).NewUpdate().Model((*notificationRow)(nil)).Set("read_at = ?", stamp(at)).
		Where("user_id = ? AND read_at IS NULL", userID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("mark all read: %w", translate(err, thingNotification))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// After lists the user's notifications newer than afterID, oldest first.
func (r *NotificationRepository) After(ctx context.Context, userID, afterID int64, limit int) ([]notification.Notification, error) {
	var rows []notificationRow
	if err := r.db.conn(ctx).NewSelect().Model(&rows).Where("n.user_id = ? AND n.id > ?", userID, afterID).
		OrderExpr("n.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("notifications after %d: %w", afterID, translate(err, thingNotification))
	}
	out := make([]notification.Notification, len(rows))
	for i, row := range rows {
		out[i] = row.domain()
	}
	return out, nil
}

// LatestID is the id of the user's newest notification, 0 when none.
func (r *NotificationRepository) LatestID(ctx context.Context, userID int64) (int64, error) {
	var id int64
	if err := r.db.conn(ctx).NewSelect().Model((*notificationRow)(nil)).ColumnExpr("coalesce(max(n.id), 0)").
		Where("n.user_id = ?", userID).Scan(ctx, &id); err != nil {
		return 0, fmt.Errorf("latest notification: %w", translate(err, thingNotification))
	}
	return id, nil
}
