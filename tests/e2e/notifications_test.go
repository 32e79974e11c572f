package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/notification"
)

// notify records notifications for a user as an agent would.
func notify(t *testing.T, h *harness, userID int64, titles ...string) {
	t.Helper()
	ns := make([]notification.Notification, len(titles))
	for i, title := range titles {
		ns[i] = notification.Notification{UserID: userID, Kind: "test", Title: title, Resource: "student", ResourceID: "1",
			CreatedAt: time.Now().UTC()}
	}
	if err := store.NewNotificationRepository(h.app.DB).Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
}

// notificationsOfKind lists the caller's notifications of one kind.
func notificationsOfKind(t *testing.T, h *harness, token, kind string) []map[string]any {
	t.Helper()
	r := h.do("GET", "/api/v1/notifications?limit=200", token, nil)
	expectStatus(t, r, http.StatusOK)
	var out []map[string]any
	for _, it := range r.json(t)["items"].([]any) {
		if n := it.(map[string]any); n["kind"] == kind {
			out = append(out, n)
		}
	}
	return out
}

func userID(t *testing.T, h *harness, tok string) int64 {
	t.Helper()
	return int64(h.do("GET", "/api/v1/auth/profile", tok, nil).json(t)["user_id"].(float64))
}

func TestNotifications(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff, student := h.token("staff1", "staff123"), h.token("student1", "student123")
		sid, stid := userID(t, h, staff), userID(t, h, student)
		notify(t, h, sid, "first", "second", "third")
		notify(t, h, stid, "for the student")

		r := h.do("GET", "/api/v1/notifications", staff, nil)
		expectStatus(t, r, http.StatusOK)
		items := r.json(t)["items"].([]any)
		if len(items) != 3 || items[0].(map[string]any)["title"] != "third" {
			t.Fatalf("newest first: %s", r.Body)
		}
		firstID := int(items[2].(map[string]any)["id"].(float64))
		r = h.do("PATCH", fmt.Sprintf("/api/v1/notifications/%d", firstID), staff, map[string]any{"read": true})
		expectStatus(t, r, http.StatusOK)
		if r.json(t)["read_at"] == nil {
			t.Fatalf("not marked read: %s", r.Body)
		}
		items = h.do("GET", "/api/v1/notifications", staff, nil).json(t)["items"].([]any)
		if items[2].(map[string]any)["id"].(float64) != float64(firstID) {
			t.Fatal("a read notification is not listed after the unread ones")
		}
		if n := h.do("GET", "/api/v1/notifications?unread=true", staff, nil).json(t)["total"].(float64); n != 2 {
			t.Fatalf("unread: %v", n)
		}
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/notifications/%d", firstID), student, map[string]any{"read": true}), 404, "")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/notifications/%d", firstID), staff, map[string]any{"read": false}), 422, "")
		r = h.do("POST", "/api/v1/notifications/read-all", staff, nil)
		expectStatus(t, r, http.StatusOK)
		if r.json(t)["marked"].(float64) != 2 {
			t.Fatalf("read-all: %s", r.Body)
		}
		if n := h.do("GET", "/api/v1/notifications?unread=true", student, nil).json(t)["total"].(float64); n != 1 {
			t.Fatalf("another user's read-all touched the student's: %v", n)
		}
	})
}

// TestNotificationStream: a stream opened over a real connection receives
// notifications recorded after it opened (as an agent in a worker process
// would record them), and only the caller's.
func TestNotificationStream(t *testing.T) {
	h := newHarness(t, sqliteURL(t), nil)
	staff := h.token("staff1", "staff123")
	sid := userID(t, h, staff)
	notify(t, h, sid, "before the stream")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = h.server.App().Listener(ln) }()
	t.Cleanup(func() { _ = h.server.App().ShutdownWithTimeout(time.Second) })
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+staff)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	notify(t, h, userID(t, h, h.token("student1", "student123")), "not for staff")
	notify(t, h, sid, "after the stream opened")

	lines := bufio.NewScanner(resp.Body)
	var event, data string
	for lines.Scan() {
		line := lines.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
		if event == "notification" && data != "" {
			break
		}
	}
	if !strings.Contains(data, "after the stream opened") {
		t.Fatalf("first streamed notification: %q %q (err %v)", event, data, lines.Err())
	}
}
