package ports

import (
	"context"

	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/page"
)

// ClubRepository stores clubs. A name taken by another club (ignoring
// case) is fault.Conflict, a missing row fault.NotFound.
type ClubRepository interface {
	Create(ctx context.Context, c *club.Club) error
	Get(ctx context.Context, id int64) (club.Club, error)
	List(ctx context.Context, f club.Filter, p page.Request) (page.Result[club.Club], error)
	// Update loads the club under a write lock, applies fn and saves the
	// result in one transaction (ctx's, if it carries one). Every change of
	// the club's members or activities runs inside fn, so changes of one
	// club are serialised and its member_count stays exact.
	Update(ctx context.Context, id int64, fn func(*club.Club) error) (club.Club, error)
	Delete(ctx context.Context, id int64) error
	// Referenced reports whether the club has any membership (active or
	// not) or activity, so deleting it would erase history.
	Referenced(ctx context.Context, id int64) (bool, error)
	// Counts reads the raw figures of the club's statistics.
	Counts(ctx context.Context, id int64) (club.Counts, error)
}

// ClubMemberRepository stores memberships, one row per (club, student).
// A missing row is fault.NotFound.
type ClubMemberRepository interface {
	// Get loads a membership of club clubID by its id.
	Get(ctx context.Context, clubID, id int64) (club.Member, error)
	// Find loads the student's membership of the club, active or not.
	Find(ctx context.Context, clubID, studentID int64) (club.Member, error)
	// Holder loads the active member of the club holding role.
	Holder(ctx context.Context, clubID int64, role club.Role) (club.Member, error)
	List(ctx context.Context, f club.MemberFilter, p page.Request) (page.Result[club.Member], error)
	// Save inserts m (when m.ID is 0, setting it) or updates it.
	Save(ctx context.Context, m *club.Member) error
	Delete(ctx context.Context, clubID, id int64) error
	// Active reports which of studentIDs are active members of the club.
	Active(ctx context.Context, clubID int64, studentIDs []int64) (map[int64]bool, error)
}

// ClubActivityRepository stores a club's activities and their attendance.
// A missing row is fault.NotFound.
type ClubActivityRepository interface {
	Create(ctx context.Context, a *club.Activity) error
	// Get loads an activity of club clubID.
	Get(ctx context.Context, clubID, id int64) (club.Activity, error)
	List(ctx context.Context, f club.ActivityFilter, p page.Request) (page.Result[club.Activity], error)
	// Save overwrites an existing activity's fields.
	Save(ctx context.Context, a club.Activity) error
	// Delete removes the activity and its attendance.
	Delete(ctx context.Context, clubID, id int64) error
	// Attendance lists what is recorded for the activity, by student id.
	Attendance(ctx context.Context, activityID int64) ([]club.Attendance, error)
	// SaveAttendance inserts or replaces one row per (activity, student).
	SaveAttendance(ctx context.Context, rows []club.Attendance) error
}
