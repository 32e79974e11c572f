package club

import "math"

// Counts are the raw figures a store reads for a club's statistics.
type Counts struct {
	// Members counts memberships by role and activity.
	Members []RoleCount
	// Activities counts the club's activities by status.
	Activities map[Status]int
	// Completed holds, per completed activity with any attendance recorded,
	// how many were recorded present and how many were recorded at all.
	Completed []Turnout
}

// RoleCount is how many memberships have one role and activity.
type RoleCount struct {
	Role   Role
	Active bool
	N      int
}

// Turnout is the attendance recorded at one activity.
type Turnout struct {
	ActivityID int64
	Present    int
	Recorded   int
}

// Statistics summarise a club.
type Statistics struct {
	ClubID          int64
	MemberCount     int
	ActiveMembers   int
	InactiveMembers int
	// ByRole counts the active members per role; every role is present.
	ByRole map[Role]int
	// ByStatus counts activities per status; every status is present.
	ByStatus        map[Status]int
	TotalActivities int
	// AttendanceRate is the average attendance rate of completed
	// activities: for each completed activity with attendance recorded,
	// present / recorded; then the plain mean over those activities (each
	// activity weighs the same, however large), rounded to 4 decimals. Nil
	// when no completed activity has attendance recorded.
	AttendanceRate *float64
	// RatedActivities is how many activities the rate averages over.
	RatedActivities int
}

// Summarize turns counts into the statistics of club c.
func Summarize(c Club, n Counts) Statistics {
	s := Statistics{ClubID: c.ID, MemberCount: c.MemberCount, ByRole: map[Role]int{}, ByStatus: map[Status]int{}}
	for _, r := range Roles {
		s.ByRole[r] = 0
	}
	for _, st := range Statuses {
		s.ByStatus[st] = n.Activities[st]
		s.TotalActivities += n.Activities[st]
	}
	for _, rc := range n.Members {
		if rc.Active {
			s.ActiveMembers += rc.N
			s.ByRole[rc.Role] += rc.N
		} else {
			s.InactiveMembers += rc.N
		}
	}
	sum := 0.0
	for _, t := range n.Completed {
		if t.Recorded <= 0 {
			continue
		}
		sum += float64(t.Present) / float64(t.Recorded)
		s.RatedActivities++
	}
	if s.RatedActivities > 0 {
		rate := math.Round(sum/float64(s.RatedActivities)*10000) / 10000
		s.AttendanceRate = &rate
	}
	return s
}
