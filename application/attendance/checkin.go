package attendance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
)

// checkInRemarks marks a record as written by a student's own scan.
const checkInRemarks = "QR check-in"

var (
	errSessionNotFound = fault.New(fault.NotFound, "Check-in session not found")
	errSessionClosed   = fault.New(fault.BadRequest, "This session is closed")
	errNotLinked       = fault.New(fault.BadRequest, "Your account is not linked to a student record")
	errInvalidCode     = fault.New(fault.BadRequest, "Invalid check-in code")
)

// OpenSession creates a QR check-in session.
func (s *Service) OpenSession(ctx context.Context, a identity.Actor, f attendance.SessionFields) (attendance.Session, error) {
	if _, err := identity.Can(a, identity.MarkAttendance); err != nil {
		return attendance.Session{}, err
	}
	sess, err := attendance.NewSession(f, s.cfg.Location)
	if err != nil {
		return attendance.Session{}, err
	}
	now := s.d.Clock.Now()
	sess.CreatedBy, sess.CreatedAt = userID(a), now
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.CheckIns.CreateSession(ctx, &sess); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionCreate, resourceSession, fmt.Sprint(sess.ID)).Change(nil, SessionSnapshot(sess)))
	})
	if err != nil {
		return attendance.Session{}, err
	}
	return sess, nil
}

// session loads a session for its staff.
func (s *Service) session(ctx context.Context, a identity.Actor, id int64) (attendance.Session, error) {
	if _, err := identity.Can(a, identity.MarkAttendance); err != nil {
		return attendance.Session{}, err
	}
	sess, err := s.d.CheckIns.GetSession(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		return attendance.Session{}, errSessionNotFound
	}
	return sess, err
}

// GetSession returns one session.
func (s *Service) GetSession(ctx context.Context, a identity.Actor, id int64) (attendance.Session, error) {
	return s.session(ctx, a, id)
}

// Code returns the session's current check-in code and when it rotates.
func (s *Service) Code(ctx context.Context, a identity.Actor, id int64) (string, time.Time, error) {
	sess, err := s.session(ctx, a, id)
	if err != nil {
		return "", time.Time{}, err
	}
	if sess.Closed() {
		return "", time.Time{}, errSessionClosed
	}
	code, expires := attendance.IssueCode(s.codeKey, sess.ID, s.d.Clock.Now(), s.cfg.QRRotate)
	return code, expires, nil
}

// CloseSession ends a session: later check-ins are refused.
func (s *Service) CloseSession(ctx context.Context, a identity.Actor, id int64) (attendance.Session, error) {
	if _, err := identity.Can(a, identity.MarkAttendance); err != nil {
		return attendance.Session{}, err
	}
	now := s.d.Clock.Now()
	var out attendance.Session
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before attendance.Session
		sess, err := s.d.CheckIns.UpdateSession(ctx, id, func(x *attendance.Session) error {
			before = *x
			return x.Close(now)
		})
		if err != nil {
			return err
		}
		out = sess
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resourceSession, fmt.Sprint(id)).Change(SessionSnapshot(before), SessionSnapshot(sess)))
	})
	if errors.Is(err, fault.ErrNotFound) {
		return attendance.Session{}, errSessionNotFound
	}
	if err != nil {
		return attendance.Session{}, err
	}
	return out, nil
}

// Live counts a session's audience and who has been marked so far.
func (s *Service) Live(ctx context.Context, a identity.Actor, id int64) (attendance.Live, error) {
	sess, err := s.session(ctx, a, id)
	if err != nil {
		return attendance.Live{}, err
	}
	return s.d.CheckIns.Live(ctx, sess)
}

// Attempts pages through a session's refused check-ins.
func (s *Service) Attempts(ctx context.Context, a identity.Actor, id int64, p page.Request) (page.Result[attendance.Attempt], error) {
	if _, err := s.session(ctx, a, id); err != nil {
		return page.Result[attendance.Attempt]{}, err
	}
	return s.d.CheckIns.Attempts(ctx, id, p)
}

// CheckInRequest is a student's scan.
type CheckInRequest struct {
	Code      string
	Latitude  *float64
	Longitude *float64
}

// CheckIn marks the calling student user present (or late) in the session
// the code names. Identity comes from the actor and time from the clock,
// never from the request. A refusal for a known session is recorded as an
// attempt, in its own transaction, since the check-in's rolls back.
func (s *Service) CheckIn(ctx context.Context, a identity.Actor, in CheckInRequest) (attendance.CheckIn, error) {
	if !a.Authenticated() {
		return attendance.CheckIn{}, fault.New(fault.Unauthenticated, "Not authenticated")
	}
	if a.Role != identity.RoleStudent {
		return attendance.CheckIn{}, identity.ErrDenied
	}
	var v fault.Validation
	in.Code = strings.TrimSpace(in.Code)
	v.Check(in.Code != "", "code", "is required")
	v.Check(in.Latitude == nil || attendance.ValidLatitude(*in.Latitude), "latitude", "must be between -90 and 90")
	v.Check(in.Longitude == nil || attendance.ValidLongitude(*in.Longitude), "longitude", "must be between -180 and 180")
	if err := v.Err(); err != nil {
		return attendance.CheckIn{}, err
	}
	if a.StudentID == nil {
		return attendance.CheckIn{}, errNotLinked
	}
	now := s.d.Clock.Now()
	code, err := attendance.ParseCode(in.Code)
	if err != nil {
		return attendance.CheckIn{}, err // no session to record the attempt against
	}
	// The code is checked by its MAC alone; the session row is read for its
	// window, geofence and closed flag (and to record a refusal).
	sess, err := s.d.CheckIns.GetSession(ctx, code.SessionID)
	if errors.Is(err, fault.ErrNotFound) {
		return attendance.CheckIn{}, errInvalidCode
	}
	if err != nil {
		return attendance.CheckIn{}, err
	}
	if err := s.admit(ctx, a, sess, code, in, now); err != nil {
		return attendance.CheckIn{}, s.refuse(ctx, a, sess, in, now, err)
	}
	status := sess.StatusAt(now, s.cfg.LateAfter)
	c := attendance.CheckIn{SessionID: sess.ID, StudentID: *a.StudentID, Status: status,
		Latitude: in.Latitude, Longitude: in.Longitude, At: now}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		// The check-in row goes first: its unique (session, student) key is
		// what makes a second, concurrent scan fail before it marks anything.
		if err := s.d.CheckIns.CreateCheckIn(ctx, &c); err != nil {
			if errors.Is(err, fault.ErrConflict) {
				return attendance.DuplicateCheckIn()
			}
			return err
		}
		u, err := s.upsertOne(ctx, userID(a), now, sess.Date, sess.Name,
			attendance.Entry{StudentID: c.StudentID, Status: status, Remarks: checkInRemarks})
		if err != nil {
			return err
		}
		c.AttendanceID = u.Record.ID
		if u.Changed() {
			if err := s.d.Outbox.Append(ctx, s.marked(now, u)); err != nil {
				return err
			}
		}
		var before map[string]any
		action := audit.ActionCreate
		if u.Previous != nil {
			before, action = Snapshot(*u.Previous), audit.ActionUpdate
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, action, resource, fmt.Sprint(u.Record.ID)).Change(before, Snapshot(u.Record)))
	})
	var rej *attendance.Rejection
	if errors.As(err, &rej) {
		return attendance.CheckIn{}, s.refuse(ctx, a, sess, in, now, err)
	}
	if err != nil {
		return attendance.CheckIn{}, err
	}
	return c, nil
}

// admit applies every rule a scan must pass before anything is written.
func (s *Service) admit(ctx context.Context, a identity.Actor, sess attendance.Session, code attendance.Code, in CheckInRequest, now time.Time) error {
	if err := attendance.VerifyCode(s.codeKey, code, now, s.cfg.QRRotate); err != nil {
		return err
	}
	if err := sess.Admit(now); err != nil {
		return err
	}
	if err := sess.CheckLocation(in.Latitude, in.Longitude); err != nil {
		return err
	}
	st, err := s.d.Students.Get(ctx, *a.StudentID)
	if errors.Is(err, fault.ErrNotFound) {
		return attendance.NotInAudience()
	}
	if err != nil {
		return err
	}
	if !sess.Admits(st) {
		return attendance.NotInAudience()
	}
	return nil
}

// refuse records a rejected scan for the session's staff and returns the
// rejection; errors that are not rejections pass through unrecorded.
func (s *Service) refuse(ctx context.Context, a identity.Actor, sess attendance.Session, in CheckInRequest, now time.Time, cause error) error {
	var rej *attendance.Rejection
	if !errors.As(cause, &rej) {
		return cause
	}
	at := attendance.Attempt{SessionID: sess.ID, UserID: a.UserID, StudentID: a.StudentID, Reason: rej.Reason,
		Detail: rej.Error(), Latitude: in.Latitude, Longitude: in.Longitude, At: now}
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.CheckIns.CreateAttempt(ctx, &at); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionCreate, resourceAttempt, fmt.Sprint(at.ID)).Change(nil, AttemptSnapshot(at)))
	})
	if err != nil {
		return fmt.Errorf("record refused check-in: %w", err)
	}
	return cause
}

// SessionSnapshot is the audit view of a session.
func SessionSnapshot(s attendance.Session) map[string]any {
	m := map[string]any{"id": s.ID, "session": s.Name, "date": s.Date.String(),
		"starts_at": s.StartsAt.UTC().Format(time.RFC3339), "ends_at": s.EndsAt.UTC().Format(time.RFC3339),
		"department": s.Audience.Department, "section": s.Audience.Section, "semester": nil,
		"latitude": nil, "longitude": nil, "radius_m": nil, "closed_at": nil}
	if s.Audience.Semester != nil {
		m["semester"] = *s.Audience.Semester
	}
	if g := s.Geofence; g != nil {
		m["latitude"], m["longitude"], m["radius_m"] = g.Latitude, g.Longitude, g.RadiusM
	}
	if s.ClosedAt != nil {
		m["closed_at"] = s.ClosedAt.UTC().Format(time.RFC3339)
	}
	return m
}

// AttemptSnapshot is the audit view of a refused check-in.
func AttemptSnapshot(a attendance.Attempt) map[string]any {
	return map[string]any{"id": a.ID, "session_id": a.SessionID, "user_id": a.UserID, "student_id": nullable(a.StudentID),
		"reason": string(a.Reason), "detail": a.Detail}
}
