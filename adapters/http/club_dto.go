package httpapi

import (
	"time"

	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/fault"
)

// ClubDTO is a club. member_count is the number of active members.
type ClubDTO struct {
	ID               int64     `json:"id"`
	Name             string    `json:"name"`
	Description      string    `json:"description"`
	Category         string    `json:"category"`
	Advisor          string    `json:"advisor"`
	IsActive         bool      `json:"is_active"`
	AcceptingMembers bool      `json:"accepting_members"`
	MemberCount      int       `json:"member_count"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

func clubDTO(c club.Club) ClubDTO {
	return ClubDTO{ID: c.ID, Name: c.Name, Description: c.Description, Category: c.Category, Advisor: c.Advisor,
		IsActive: c.IsActive, AcceptingMembers: c.AcceptingMembers, MemberCount: c.MemberCount,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// ClubRequest is POST /clubs and PUT /clubs/{id}: every field; omitted
// flags default to true.
type ClubRequest struct {
	Name             string `json:"name" validate:"required"`
	Description      string `json:"description"`
	Category         string `json:"category"`
	Advisor          string `json:"advisor"`
	IsActive         *bool  `json:"is_active"`
	AcceptingMembers *bool  `json:"accepting_members"`
}

func (r ClubRequest) fields() club.Fields {
	return club.Fields{Name: r.Name, Description: r.Description, Category: r.Category, Advisor: r.Advisor,
		IsActive: r.IsActive, AcceptingMembers: r.AcceptingMembers}
}

// ClubPatchRequest is PATCH /clubs/{id}: only the fields sent change.
type ClubPatchRequest struct {
	Name             *string `json:"name"`
	Description      *string `json:"description"`
	Category         *string `json:"category"`
	Advisor          *string `json:"advisor"`
	IsActive         *bool   `json:"is_active"`
	AcceptingMembers *bool   `json:"accepting_members"`
}

func (r ClubPatchRequest) patch() club.Patch {
	return club.Patch{Name: r.Name, Description: r.Description, Category: r.Category, Advisor: r.Advisor,
		IsActive: r.IsActive, AcceptingMembers: r.AcceptingMembers}
}

// ClubMemberDTO is one membership.
type ClubMemberDTO struct {
	ID        int64     `json:"id"`
	ClubID    int64     `json:"club_id"`
	StudentID int64     `json:"student_id"`
	Role      string    `json:"role"`
	JoinedAt  time.Time `json:"joined_at"`
	IsActive  bool      `json:"is_active"`
}

func clubMemberDTO(m club.Member) ClubMemberDTO {
	return ClubMemberDTO{ID: m.ID, ClubID: m.ClubID, StudentID: m.StudentID, Role: string(m.Role),
		JoinedAt: m.JoinedAt.UTC(), IsActive: m.IsActive}
}

// ClubMemberRequest is POST /clubs/{id}/members; role defaults to member.
type ClubMemberRequest struct {
	StudentID int64  `json:"student_id" validate:"required,min=1"`
	Role      string `json:"role"`
}

// ClubMemberPatchRequest is PATCH /clubs/{id}/members/{member_id}.
type ClubMemberPatchRequest struct {
	Role     *string `json:"role"`
	IsActive *bool   `json:"is_active"`
}

// ClubActivityDTO is one club activity.
type ClubActivityDTO struct {
	ID           int64      `json:"id"`
	ClubID       int64      `json:"club_id"`
	Title        string     `json:"title"`
	ActivityType string     `json:"activity_type"`
	StartsAt     time.Time  `json:"starts_at"`
	EndsAt       *time.Time `json:"ends_at"`
	Location     *string    `json:"location"`
	Capacity     *int       `json:"capacity"`
	Status       string     `json:"status"`
}

func clubActivityDTO(a club.Activity) ClubActivityDTO {
	return ClubActivityDTO{ID: a.ID, ClubID: a.ClubID, Title: a.Title, ActivityType: a.ActivityType, StartsAt: a.StartsAt.UTC(),
		EndsAt: utcp(a.EndsAt), Location: a.Location, Capacity: a.Capacity, Status: string(a.Status)}
}

// ClubActivityRequest is POST /clubs/{id}/activities. Times are RFC 3339;
// status defaults to planned.
type ClubActivityRequest struct {
	Title        string  `json:"title" validate:"required"`
	ActivityType string  `json:"activity_type" validate:"required"`
	StartsAt     string  `json:"starts_at" validate:"required"`
	EndsAt       *string `json:"ends_at"`
	Location     *string `json:"location"`
	Capacity     *int    `json:"capacity"`
	Status       string  `json:"status"`
}

func (r ClubActivityRequest) fields() (club.ActivityFields, error) {
	var v fault.Validation
	f := club.ActivityFields{Title: r.Title, ActivityType: r.ActivityType, Location: r.Location, Capacity: r.Capacity, Status: r.Status}
	f.StartsAt = clubTime(&v, "starts_at", r.StartsAt)
	if r.EndsAt != nil {
		e := clubTime(&v, "ends_at", *r.EndsAt)
		f.EndsAt = &e
	}
	return f, v.Err()
}

// ClubActivityPatchRequest is PATCH /clubs/{id}/activities/{activity_id};
// ends_at, location and capacity may be null to clear them.
type ClubActivityPatchRequest struct {
	Title        *string        `json:"title"`
	ActivityType *string        `json:"activity_type"`
	StartsAt     *string        `json:"starts_at"`
	EndsAt       NullableString `json:"ends_at"`
	Location     NullableString `json:"location"`
	Capacity     Nullable       `json:"capacity"`
	Status       *string        `json:"status"`
}

func (r ClubActivityPatchRequest) patch() (club.ActivityPatch, error) {
	var v fault.Validation
	p := club.ActivityPatch{Title: r.Title, ActivityType: r.ActivityType, Status: r.Status}
	if r.StartsAt != nil {
		t := clubTime(&v, "starts_at", *r.StartsAt)
		p.StartsAt = &t
	}
	if r.EndsAt.Set {
		var end *time.Time
		if r.EndsAt.Value != nil {
			t := clubTime(&v, "ends_at", *r.EndsAt.Value)
			end = &t
		}
		p.EndsAt = &end
	}
	if r.Location.Set {
		loc := r.Location.Value
		p.Location = &loc
	}
	if r.Capacity.Set {
		var capacity *int
		if r.Capacity.Value != nil {
			n := int(min(max(*r.Capacity.Value, -1), club.MaxCapacity+1)) // out of range either way, without overflow
			capacity = &n
		}
		p.Capacity = &capacity
	}
	return p, v.Err()
}

// clubTime reads an RFC 3339 time, recording a field error otherwise.
func clubTime(v *fault.Validation, field, s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.Add(field, "must be an RFC 3339 time (2026-11-27T09:30:00Z)")
		return time.Time{}
	}
	return t.UTC()
}

// ClubAttendanceRequest is POST /clubs/{id}/activities/{activity_id}/attendance.
type ClubAttendanceRequest struct {
	Records []ClubAttendanceRecord `json:"records" validate:"required"`
}

// ClubAttendanceRecord is one student's presence at the activity.
type ClubAttendanceRecord struct {
	StudentID int64 `json:"student_id"`
	Present   bool  `json:"present"`
}

// ClubAttendanceDTO answers an attendance call: how many rows it created
// and updated, and the activity's totals after it.
type ClubAttendanceDTO struct {
	ActivityID int64 `json:"activity_id"`
	Created    int   `json:"created"`
	Updated    int   `json:"updated"`
	Present    int   `json:"present"`
	Absent     int   `json:"absent"`
}

// ClubStatisticsDTO is GET /clubs/{id}/statistics.
//
// average_attendance_rate: for each completed activity with attendance
// recorded, present / recorded; then the plain mean over those activities
// (each weighs the same), rounded to 4 decimals; null when there is none.
// members_by_role counts active members.
type ClubStatisticsDTO struct {
	ClubID                int64          `json:"club_id"`
	MemberCount           int            `json:"member_count"`
	ActiveMembers         int            `json:"active_members"`
	InactiveMembers       int            `json:"inactive_members"`
	MembersByRole         map[string]int `json:"members_by_role"`
	ActivitiesByStatus    map[string]int `json:"activities_by_status"`
	TotalActivities       int            `json:"total_activities"`
	AverageAttendanceRate *float64       `json:"average_attendance_rate"`
	RatedActivities       int            `json:"rated_activities"`
}

func clubStatisticsDTO(s club.Statistics) ClubStatisticsDTO {
	out := ClubStatisticsDTO{ClubID: s.ClubID, MemberCount: s.MemberCount, ActiveMembers: s.ActiveMembers,
		InactiveMembers: s.InactiveMembers, MembersByRole: map[string]int{}, ActivitiesByStatus: map[string]int{},
		TotalActivities: s.TotalActivities, AverageAttendanceRate: s.AttendanceRate, RatedActivities: s.RatedActivities}
	for r, n := range s.ByRole {
		out.MembersByRole[string(r)] = n
	}
	for st, n := range s.ByStatus {
		out.ActivitiesByStatus[string(st)] = n
	}
	return out
}
