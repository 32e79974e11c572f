package httpapi

import (
	"time"

	"github.com/campus/campus/domain/attendance"
)

// AttendanceDTO is one attendance record.
type AttendanceDTO struct {
	ID        int64     `json:"id"`
	StudentID int64     `json:"student_id"`
	Date      string    `json:"date"`
	Session   string    `json:"session"`
	Status    string    `json:"status"`
	Remarks   string    `json:"remarks"`
	MarkedBy  *int64    `json:"marked_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func attendanceDTO(r attendance.Record) AttendanceDTO {
	return AttendanceDTO{ID: r.ID, StudentID: r.StudentID, Date: r.Date.String(), Session: r.Session, Status: string(r.Status),
		Remarks: r.Remarks, MarkedBy: r.MarkedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// AttendanceRequest is POST /attendance (date defaults to today in
// TIMEZONE, session to "daily") and PUT /attendance/{id} (date required).
type AttendanceRequest struct {
	StudentID int64  `json:"student_id"`
	Date      string `json:"date"`
	Session   string `json:"session"`
	Status    string `json:"status"`
	Remarks   string `json:"remarks"`
}

func (r AttendanceRequest) fields() attendance.Fields {
	return attendance.Fields{StudentID: r.StudentID, Date: r.Date, Session: r.Session, Status: r.Status, Remarks: r.Remarks}
}

// AttendancePatchRequest is PATCH /attendance/{id}: only the fields sent change.
type AttendancePatchRequest struct {
	StudentID *int64  `json:"student_id"`
	Date      *string `json:"date"`
	Session   *string `json:"session"`
	Status    *string `json:"status"`
	Remarks   *string `json:"remarks"`
}

func (r AttendancePatchRequest) patch() attendance.Patch {
	return attendance.Patch{StudentID: r.StudentID, Date: r.Date, Session: r.Session, Status: r.Status, Remarks: r.Remarks}
}

// BulkAttendanceRequest is POST /attendance/bulk.
type BulkAttendanceRequest struct {
	Date    string              `json:"date"`
	Session string              `json:"session"`
	Records []BulkRecordRequest `json:"records"`
}

// BulkRecordRequest is one record of a bulk call.
type BulkRecordRequest struct {
	StudentID int64  `json:"student_id"`
	Status    string `json:"status"`
	Remarks   string `json:"remarks"`
}

func (r BulkAttendanceRequest) fields() attendance.BatchFields {
	f := attendance.BatchFields{Date: r.Date, Session: r.Session, Records: make([]attendance.EntryFields, len(r.Records))}
	for i, x := range r.Records {
		f.Records[i] = attendance.EntryFields{StudentID: x.StudentID, Status: x.Status, Remarks: x.Remarks}
	}
	return f
}

// BulkAttendanceDTO answers POST /attendance/bulk.
type BulkAttendanceDTO struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// AttendanceSummaryDTO is GET /attendance/summary.
type AttendanceSummaryDTO struct {
	StudentID *int64  `json:"student_id"`
	From      *string `json:"from"`
	To        *string `json:"to"`
	Present   int     `json:"present"`
	Absent    int     `json:"absent"`
	Late      int     `json:"late"`
	Excused   int     `json:"excused"`
	Total     int     `json:"total"`
	// Rate is (present + late) / (present + late + absent), null when
	// that is 0/0.
	Rate *float64 `json:"rate"`
}

// CheckInSessionRequest is POST /attendance/sessions.
type CheckInSessionRequest struct {
	Session    string   `json:"session"`
	Date       string   `json:"date"`
	StartsAt   string   `json:"starts_at"`
	EndsAt     string   `json:"ends_at"`
	Department string   `json:"department"`
	Semester   *int     `json:"semester"`
	Section    string   `json:"section"`
	Latitude   *float64 `json:"latitude"`
	Longitude  *float64 `json:"longitude"`
	RadiusM    *float64 `json:"radius_m"`
}

func (r CheckInSessionRequest) fields() attendance.SessionFields {
	return attendance.SessionFields{Name: r.Session, Date: r.Date, StartsAt: r.StartsAt, EndsAt: r.EndsAt,
		Department: r.Department, Semester: r.Semester, Section: r.Section,
		Latitude: r.Latitude, Longitude: r.Longitude, RadiusM: r.RadiusM}
}

// CheckInSessionDTO is a QR check-in session.
type CheckInSessionDTO struct {
	ID         int64      `json:"id"`
	Session    string     `json:"session"`
	Date       string     `json:"date"`
	StartsAt   time.Time  `json:"starts_at"`
	EndsAt     time.Time  `json:"ends_at"`
	Department *string    `json:"department"`
	Semester   *int       `json:"semester"`
	Section    *string    `json:"section"`
	Latitude   *float64   `json:"latitude"`
	Longitude  *float64   `json:"longitude"`
	RadiusM    *float64   `json:"radius_m"`
	Status     string     `json:"status"` // open or closed
	ClosedAt   *time.Time `json:"closed_at"`
	CreatedBy  *int64     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
}

func checkInSessionDTO(s attendance.Session) CheckInSessionDTO {
	d := CheckInSessionDTO{ID: s.ID, Session: s.Name, Date: s.Date.String(), StartsAt: s.StartsAt.UTC(), EndsAt: s.EndsAt.UTC(),
		Semester: s.Audience.Semester,
		Status:   "open", ClosedAt: utcp(s.ClosedAt), CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt.UTC()}
	if s.Closed() {
		d.Status = "closed"
	}
	// An unset audience filter reads as null: "any", not "the empty department".
	if v := s.Audience.Department; v != "" {
		d.Department = &v
	}
	if v := s.Audience.Section; v != "" {
		d.Section = &v
	}
	if g := s.Geofence; g != nil {
		lat, lon, r := g.Latitude, g.Longitude, g.RadiusM
		d.Latitude, d.Longitude, d.RadiusM = &lat, &lon, &r
	}
	return d
}

// CheckInCodeDTO is GET /attendance/sessions/{id}/code. expires_at is when
// the code rotates; a scan of it is accepted for one step more.
type CheckInCodeDTO struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CheckInRequest is POST /attendance/check-in.
type CheckInRequest struct {
	Code      string   `json:"code"`
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
}

// CheckInDTO answers an accepted check-in.
type CheckInDTO struct {
	SessionID    int64     `json:"session_id"`
	StudentID    int64     `json:"student_id"`
	AttendanceID int64     `json:"attendance_id"`
	Status       string    `json:"status"`
	CheckedInAt  time.Time `json:"checked_in_at"`
}

// LiveDTO is GET /attendance/sessions/{id}/live.
type LiveDTO struct {
	SessionID int64 `json:"session_id"`
	Expected  int   `json:"expected"`
	Present   int   `json:"present"`
	Late      int   `json:"late"`
	Absent    int   `json:"absent"`
}

// CheckInAttemptDTO is one refused check-in.
type CheckInAttemptDTO struct {
	ID        int64     `json:"id"`
	SessionID int64     `json:"session_id"`
	UserID    int64     `json:"user_id"`
	StudentID *int64    `json:"student_id"`
	Reason    string    `json:"reason"`
	Detail    string    `json:"detail"`
	Latitude  *float64  `json:"latitude"`
	Longitude *float64  `json:"longitude"`
	At        time.Time `json:"at"`
}

func checkInAttemptDTO(a attendance.Attempt) CheckInAttemptDTO {
	return CheckInAttemptDTO{ID: a.ID, SessionID: a.SessionID, UserID: a.UserID, StudentID: a.StudentID, Reason: string(a.Reason),
		Detail: a.Detail, Latitude: a.Latitude, Longitude: a.Longitude, At: a.At.UTC()}
}
