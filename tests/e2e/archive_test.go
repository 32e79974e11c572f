package e2e

import (
	"fmt"
	"net/http"
	"testing"
)

// TestDeleteArchivesReferencedStudents: a student that any campus record
// points at (attendance, a complaint, a risk, a club membership) is
// archived by DELETE, never deleted, so nothing is orphaned; a student
// nothing points at is really deleted.
func TestDeleteArchivesReferencedStudents(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		admin := h.token("admin", "admin123")
		newStudent := func(roll string) int {
			r := h.do("POST", "/api/v1/students", admin, map[string]any{"name": "S " + roll, "roll_no": roll, "department": "Arch", "semester": 2})
			expectStatus(t, r, http.StatusCreated)
			return int(r.json(t)["id"].(float64))
		}
		club := h.do("POST", "/api/v1/clubs", admin, map[string]any{"name": "Archivists", "category": "Books", "accepting_members": true})
		expectStatus(t, club, http.StatusCreated)
		clubID := int(club.json(t)["id"].(float64))

		refs := map[string]func(id int){
			"attendance": func(id int) {
				expectStatus(t, h.do("POST", "/api/v1/attendance", admin, map[string]any{"student_id": id, "date": "2026-11-02", "status": "present"}), http.StatusCreated)
			},
			"complaint": func(id int) {
				expectStatus(t, h.do("POST", "/api/v1/complaints", admin, map[string]any{"student_id": id, "title": "Broken heater",
					"description": "The heater in room 12 is broken."}), http.StatusCreated)
			},
			"risk": func(id int) {
				expectStatus(t, h.do("POST", "/api/v1/risks", admin, map[string]any{"student_id": id, "risk_type": "academic",
					"severity": "low", "description": "Missed two assignments"}), http.StatusCreated)
			},
			"club membership": func(id int) {
				r := h.do("POST", fmt.Sprintf("/api/v1/clubs/%d/members", clubID), admin, map[string]any{"student_id": id})
				if r.Status != http.StatusCreated && r.Status != http.StatusOK {
					t.Fatalf("add member: %d %s", r.Status, r.Body)
				}
			},
		}
		n := 0
		for name, ref := range refs {
			n++
			id := newStudent(fmt.Sprintf("ARC-%d", n))
			ref(id)
			expectStatus(t, h.do("DELETE", fmt.Sprintf("/api/v1/students/%d", id), admin, nil), http.StatusNoContent)
			r := h.do("GET", fmt.Sprintf("/api/v1/students/%d", id), admin, nil)
			if r.Status != http.StatusOK || r.json(t)["status"] != "inactive" {
				t.Errorf("student with a %s: %d %s, want archived (inactive)", name, r.Status, r.Body)
			}
		}
		lone := newStudent("ARC-LONE")
		expectStatus(t, h.do("DELETE", fmt.Sprintf("/api/v1/students/%d", lone), admin, nil), http.StatusNoContent)
		expectStatus(t, h.do("GET", fmt.Sprintf("/api/v1/students/%d", lone), admin, nil), http.StatusNotFound)
	})
}
