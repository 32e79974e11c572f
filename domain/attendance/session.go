package attendance

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/student"
)

// Session is a QR check-in session: a window of time in which the students
// of an audience mark themselves present by scanning a rotating code,
// optionally only from within a geofence. Its check-ins mark the attendance
// record of (student, Date, Name).
type Session struct {
	ID       int64
	Name     string // the attendance session the check-ins mark, e.g. "daily" or "CS101"
	Date     Date
	StartsAt time.Time
	EndsAt   time.Time
	Audience Audience
	Geofence *Geofence
	ClosedAt *time.Time
	// CreatedBy is the staff member who opened the session.
	CreatedBy *int64
	CreatedAt time.Time
}

// Audience narrows who may check in; empty fields admit everyone.
type Audience struct {
	Department string
	Semester   *int
	Section    string
}

// Geofence is a circle a check-in must come from.
type Geofence struct {
	Latitude, Longitude float64
	RadiusM             float64
}

// MaxRadiusM bounds a geofence: a circle larger than a city is a typo.
const MaxRadiusM = 50000

// SessionFields are the fields of a new session as a caller gives them.
type SessionFields struct {
	Name       string
	Date       string // "" means the day StartsAt falls on in the campus calendar
	StartsAt   string // RFC 3339
	EndsAt     string // RFC 3339
	Department string
	Semester   *int
	Section    string
	Latitude   *float64
	Longitude  *float64
	RadiusM    *float64
}

// NewSession validates f; loc is the campus calendar's zone.
func NewSession(f SessionFields, loc *time.Location) (Session, error) {
	var v fault.Validation
	var s Session
	name, msg := cleanSession(f.Name)
	if msg != "" {
		v.Add("session", msg)
	}
	s.Name = name
	s.StartsAt = parseTime(&v, "starts_at", f.StartsAt)
	s.EndsAt = parseTime(&v, "ends_at", f.EndsAt)
	if !s.StartsAt.IsZero() && !s.EndsAt.IsZero() && !s.EndsAt.After(s.StartsAt) {
		v.Add("ends_at", "must be after starts_at")
	}
	switch {
	case strings.TrimSpace(f.Date) != "":
		d, err := ParseDate(f.Date)
		if err != nil {
			v.Add("date", "must be a date (YYYY-MM-DD)")
		}
		s.Date = d
	case !s.StartsAt.IsZero():
		s.Date = DateOf(s.StartsAt, loc)
	}
	s.Audience = Audience{Department: strings.TrimSpace(f.Department), Section: strings.TrimSpace(f.Section), Semester: f.Semester}
	v.Check(utf8.RuneCountInString(s.Audience.Department) <= 100, "department", "must be at most 100 characters")
	v.Check(utf8.RuneCountInString(s.Audience.Section) <= 20, "section", "must be at most 20 characters")
	v.Check(f.Semester == nil || (*f.Semester >= 1 && *f.Semester <= 12), "semester", "must be between 1 and 12")
	geofence(&v, &s, f)
	if err := v.Err(); err != nil {
		return Session{}, err
	}
	return s, nil
}

func parseTime(v *fault.Validation, field, s string) time.Time {
	if strings.TrimSpace(s) == "" {
		v.Add(field, "is required")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		v.Add(field, "must be an RFC 3339 time")
		return time.Time{}
	}
	return t.UTC()
}

// geofence sets s.Geofence from f: the three fields come together or not at all.
func geofence(v *fault.Validation, s *Session, f SessionFields) {
	given := 0
	for _, p := range []*float64{f.Latitude, f.Longitude, f.RadiusM} {
		if p != nil {
			given++
		}
	}
	if given == 0 {
		return
	}
	if given != 3 {
		v.Add("radius_m", "latitude, longitude and radius_m go together")
		return
	}
	ok := true
	if !ValidLatitude(*f.Latitude) {
		v.Add("latitude", "must be between -90 and 90")
		ok = false
	}
	if !ValidLongitude(*f.Longitude) {
		v.Add("longitude", "must be between -180 and 180")
		ok = false
	}
	if r := *f.RadiusM; math.IsNaN(r) || r <= 0 || r > MaxRadiusM {
		v.Add("radius_m", "must be more than 0 and at most 50000")
		ok = false
	}
	if ok {
		s.Geofence = &Geofence{Latitude: *f.Latitude, Longitude: *f.Longitude, RadiusM: *f.RadiusM}
	}
}

// ValidLatitude reports whether lat is a latitude in degrees.
func ValidLatitude(lat float64) bool { return lat >= -90 && lat <= 90 }

// ValidLongitude reports whether lon is a longitude in degrees.
func ValidLongitude(lon float64) bool { return lon >= -180 && lon <= 180 }

// Closed reports whether the session was closed.
func (s Session) Closed() bool { return s.ClosedAt != nil }

// Close closes the session at now; closing twice is a conflict.
func (s *Session) Close(now time.Time) error {
	if s.Closed() {
		return fault.New(fault.Conflict, "The session is already closed")
	}
	s.ClosedAt = &now
	return nil
}

// Reason names why a check-in was refused; it is stored with the attempt.
type Reason string

// Reasons for refusing a check-in.
const (
	ReasonInvalidCode      Reason = "invalid_code"
	ReasonExpiredCode      Reason = "expired_code"
	ReasonClosed           Reason = "closed"
	ReasonNotOpen          Reason = "not_open"
	ReasonLocationRequired Reason = "location_required"
	ReasonOutsideGeofence  Reason = "outside_geofence"
	ReasonNotInAudience    Reason = "not_in_audience"
	ReasonDuplicate        Reason = "duplicate"
)

// Rejection is a refused check-in: an error for the caller (a fault kind
// with a message) that also carries the reason to record.
type Rejection struct {
	Reason Reason
	fault  *fault.Error
}

// Reject builds a rejection of kind k.
func Reject(r Reason, k fault.Kind, msg string) *Rejection {
	return &Rejection{Reason: r, fault: fault.New(k, msg)}
}

func (r *Rejection) Error() string { return r.fault.Error() }

// Unwrap exposes the fault kind to errors.As and errors.Is.
func (r *Rejection) Unwrap() error { return r.fault }

// Admit checks that a check-in at now falls in the session's window
// [StartsAt, EndsAt], both ends included, and that the session is open.
func (s Session) Admit(now time.Time) error {
	switch {
	case s.Closed():
		return Reject(ReasonClosed, fault.BadRequest, "This session is closed")
	case now.Before(s.StartsAt):
		return Reject(ReasonNotOpen, fault.BadRequest, "This session has not started yet")
	case now.After(s.EndsAt):
		return Reject(ReasonNotOpen, fault.BadRequest, "This session has ended")
	}
	return nil
}

// CheckLocation applies the geofence: without one any location (or none)
// passes; with one the caller must send coordinates within RadiusM.
func (s Session) CheckLocation(lat, lon *float64) error {
	if s.Geofence == nil {
		return nil
	}
	if lat == nil || lon == nil {
		return Reject(ReasonLocationRequired, fault.BadRequest, "This session needs your location (latitude and longitude)")
	}
	if Distance(s.Geofence.Latitude, s.Geofence.Longitude, *lat, *lon) > s.Geofence.RadiusM {
		return Reject(ReasonOutsideGeofence, fault.BadRequest, "You are outside this session's area")
	}
	return nil
}

// Admits reports whether st belongs to the session's audience: an active
// student matching every filter that is set.
func (s Session) Admits(st student.Student) bool {
	a := s.Audience
	return st.Status == student.Active &&
		(a.Department == "" || strings.EqualFold(a.Department, st.Department)) &&
		(a.Semester == nil || *a.Semester == st.Semester) &&
		(a.Section == "" || strings.EqualFold(a.Section, st.Section))
}

// NotInAudience refuses a student the session is not for.
func NotInAudience() error {
	return Reject(ReasonNotInAudience, fault.BadRequest, "You are not in this session's audience")
}

// DuplicateCheckIn refuses a second check-in of one student to one session.
func DuplicateCheckIn() error {
	return Reject(ReasonDuplicate, fault.Conflict, "You have already checked in to this session")
}

// StatusAt is the mark of a check-in at now: present up to and including
// StartsAt + lateAfter, late strictly after it. The boundary instant counts
// as on time because the contract makes a mark late only "after" the grace
// period, and a student scanning at exactly that second has not missed it.
func (s Session) StatusAt(now time.Time, lateAfter time.Duration) Status {
	if now.After(s.StartsAt.Add(lateAfter)) {
		return Late
	}
	return Present
}

// earthRadiusM is the mean Earth radius (IUGG), in metres.
const earthRadiusM = 6371008.8

// Distance is the great-circle (haversine) distance in metres between two
// points given in degrees.
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}

// CheckIn is one student's accepted check-in to a session.
type CheckIn struct {
	ID           int64
	SessionID    int64
	StudentID    int64
	AttendanceID int64
	Status       Status
	Latitude     *float64
	Longitude    *float64
	At           time.Time
}

// Attempt is a refused check-in, kept for the session's staff.
type Attempt struct {
	ID        int64
	SessionID int64
	UserID    int64
	StudentID *int64
	Reason    Reason
	Detail    string
	Latitude  *float64
	Longitude *float64
	At        time.Time
}

// Live is the head count of a session while it runs.
type Live struct {
	Expected int // active students of the audience
	Present  int
	Late     int
	Absent   int // Expected - Present - Late
}
