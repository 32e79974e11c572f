package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/domain/notification"
)

// NotificationDTO is one notification.
type NotificationDTO struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	Resource   string     `json:"resource"`
	ResourceID string     `json:"resource_id"`
	CreatedAt  time.Time  `json:"created_at"`
	ReadAt     *time.Time `json:"read_at"`
}

func notificationDTO(n notification.Notification) NotificationDTO {
	return NotificationDTO{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Resource: n.Resource, ResourceID: n.ResourceID,
		CreatedAt: n.CreatedAt.UTC(), ReadAt: utcp(n.ReadAt)}
}

// NotificationPatchRequest is PATCH /notifications/{id}.
type NotificationPatchRequest struct {
	Read *bool `json:"read" validate:"required"`
}

// ReadAllDTO answers POST /notifications/read-all.
type ReadAllDTO struct {
	Marked int `json:"marked"`
}

// streamLimit ends a live stream after a while so a proxy's idle or
// lifetime limits never cut it mid-event; EventSource reconnects with
// Last-Event-ID and misses nothing.
const (
	streamLimit     = 30 * time.Minute
	streamHeartbeat = 15 * time.Second
)

func (s *Server) notificationRoutes() []Route {
	auth := Authenticated()
	return []Route{
		{Method: "GET", Path: v1 + "/notifications", Tag: "notifications", Summary: "The caller's notifications, unread first",
			Guard: auth, Response: ListDTO[NotificationDTO]{}, Query: withPage(Param{"unread", "boolean", "only unread ones"}), handler: s.listNotifications},
		{Method: "PATCH", Path: v1 + "/notifications/:id", Tag: "notifications", Summary: "Mark one of the caller's notifications read",
			Guard: auth, Request: NotificationPatchRequest{}, Response: NotificationDTO{}, handler: s.patchNotification},
		{Method: "POST", Path: v1 + "/notifications/read-all", Tag: "notifications", Summary: "Mark every notification of the caller read",
			Guard: auth, Response: ReadAllDTO{}, handler: s.readAllNotifications},
		{Method: "GET", Path: v1 + "/notifications/stream", Tag: "notifications",
			Summary: "Server-sent events: one `notification` event per new notification (id = notification id; resume with Last-Event-ID)",
			Guard:   auth, Streaming: true, handler: s.streamNotifications},
	}
}

func (s *Server) listNotifications(c *fiber.Ctx) error {
	q := newQuery(c)
	var f notification.Filter
	if u := q.boolp("unread"); u != nil {
		f.UnreadOnly = *u
	}
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Notifications.List(c.UserContext(), caller(c), f, p)
	if err != nil {
		return err
	}
	return list(c, r, notificationDTO)
}

func (s *Server) patchNotification(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req NotificationPatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if !*req.Read {
		return invalidField("read", "only true is accepted: a notification cannot be marked unread")
	}
	n, err := s.d.Notifications.MarkRead(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(notificationDTO(n))
}

func (s *Server) readAllNotifications(c *fiber.Ctx) error {
	n, err := s.d.Notifications.ReadAll(c.UserContext(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(ReadAllDTO{Marked: n})
}

func (s *Server) streamNotifications(c *fiber.Ctx) error {
	a := caller(c)
	last, _ := strconv.ParseInt(c.Get("Last-Event-ID"), 10, 64)
	cursor, err := s.d.Notifications.Cursor(c.UserContext(), a, last)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	svc, log := s.d.Notifications, s.d.Logger
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		// The request's context ends with the handler; the stream outlives it.
		ctx, cancel := context.WithTimeout(context.Background(), streamLimit)
		defer cancel()
		fmt.Fprintf(w, "retry: %d\n\n", appnotification.PollEvery.Milliseconds()*3)
		if w.Flush() != nil {
			return
		}
		poll := time.NewTicker(appnotification.PollEvery)
		defer poll.Stop()
		quiet := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-poll.C:
			}
			ns, err := svc.Next(ctx, a, cursor)
			if err != nil {
				log.Warn("notification stream poll failed", "error", err.Error(), "user_id", a.UserID)
				continue
			}
			for _, n := range ns {
				b, _ := json.Marshal(notificationDTO(n))
				fmt.Fprintf(w, "id: %d\nevent: notification\ndata: %s\n\n", n.ID, b)
				cursor = n.ID
			}
			if len(ns) == 0 && time.Since(quiet) < streamHeartbeat {
				continue
			}
			if len(ns) == 0 {
				fmt.Fprint(w, ": keep-alive\n\n")
			}
			quiet = time.Now()
			if w.Flush() != nil { // the client went away
				return
			}
		}
	})
	return nil
}
