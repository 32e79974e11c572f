package club

import (
	"context"
	"fmt"
	"strconv"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
)

// Activities pages through a club's activities for any signed-in user.
func (s *Service) Activities(ctx context.Context, a identity.Actor, clubID int64, f club.ActivityFilter, p page.Request) (page.Result[club.Activity], error) {
	if err := readable(a); err != nil {
		return page.Result[club.Activity]{}, err
	}
	if _, err := s.d.Clubs.Get(ctx, clubID); err != nil {
		return page.Result[club.Activity]{}, err
	}
	f.ClubID = clubID
	return s.d.Activities.List(ctx, f, p)
}

// CreateActivity adds an activity to an active club (MANAGE_CLUBS).
func (s *Service) CreateActivity(ctx context.Context, a identity.Actor, clubID int64, f club.ActivityFields) (club.Activity, error) {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return club.Activity{}, err
	}
	act, err := club.NewActivity(clubID, f)
	if err != nil {
		return club.Activity{}, err
	}
	now := s.d.Clock.Now()
	act.CreatedAt, act.UpdatedAt = now, now
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		_, err := s.d.Clubs.Update(ctx, clubID, func(c *club.Club) error {
			if !c.IsActive {
				return club.ErrArchived
			}
			return s.d.Activities.Create(ctx, &act)
		})
		if err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionCreate, resourceActivity, fmt.Sprint(act.ID)).Change(nil, ActivitySnapshot(act)))
	})
	if err != nil {
		return club.Activity{}, err
	}
	return act, nil
}

// PatchActivity changes some fields of an activity (MANAGE_CLUBS). Status
// moves forward only (409 otherwise); the capacity cannot drop below the
// students already marked present (422).
func (s *Service) PatchActivity(ctx context.Context, a identity.Actor, clubID, id int64, p club.ActivityPatch) (club.Activity, error) {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return club.Activity{}, err
	}
	now := s.d.Clock.Now()
	var out club.Activity
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before map[string]any
		_, err := s.d.Clubs.Update(ctx, clubID, func(*club.Club) error {
			act, err := s.d.Activities.Get(ctx, clubID, id)
			if err != nil {
				return err
			}
			before = ActivitySnapshot(act)
			present := 0
			if p.Capacity != nil {
				rows, err := s.d.Activities.Attendance(ctx, id)
				if err != nil {
					return err
				}
				for _, r := range rows {
					if r.Present {
						present++
					}
				}
			}
			if err := act.Apply(p, present); err != nil {
				return err
			}
			act.UpdatedAt = now
			out = act
			return s.d.Activities.Save(ctx, act)
		})
		if err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resourceActivity, fmt.Sprint(id)).Change(before, ActivitySnapshot(out)))
	})
	if err != nil {
		return club.Activity{}, err
	}
	return out, nil
}

// DeleteActivity removes an activity and its attendance (MANAGE_CLUBS).
func (s *Service) DeleteActivity(ctx context.Context, a identity.Actor, clubID, id int64) error {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return err
	}
	now := s.d.Clock.Now()
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before map[string]any
		_, err := s.d.Clubs.Update(ctx, clubID, func(*club.Club) error {
			act, err := s.d.Activities.Get(ctx, clubID, id)
			if err != nil {
				return err
			}
			before = ActivitySnapshot(act)
			return s.d.Activities.Delete(ctx, clubID, id)
		})
		if err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionDelete, resourceActivity, fmt.Sprint(id)).Change(before, nil))
	})
}

// RecordAttendance upserts who was at an activity (MANAGE_CLUBS): only
// active members of the club, each once, and no more present than the
// capacity; one bad line rejects the whole call.
func (s *Service) RecordAttendance(ctx context.Context, a identity.Actor, clubID, id int64, marks []club.Mark) (club.Recording, error) {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return club.Recording{}, err
	}
	now := s.d.Clock.Now()
	var out club.Recording
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		// The club lock keeps members from leaving, and other calls from
		// filling the capacity, between the checks and the write.
		_, err := s.d.Clubs.Update(ctx, clubID, func(*club.Club) error {
			act, err := s.d.Activities.Get(ctx, clubID, id)
			if err != nil {
				return err
			}
			existing, err := s.d.Activities.Attendance(ctx, id)
			if err != nil {
				return err
			}
			ids := make([]int64, len(marks))
			for i, m := range marks {
				ids[i] = m.StudentID
			}
			members, err := s.d.Members.Active(ctx, clubID, ids)
			if err != nil {
				return err
			}
			if out, err = act.Record(marks, existing, members, now); err != nil {
				return err
			}
			return s.d.Activities.SaveAttendance(ctx, out.Rows)
		})
		if err != nil {
			return err
		}
		before, after := map[string]any{}, map[string]any{}
		for sid, prev := range out.Previous {
			before[strconv.FormatInt(sid, 10)] = prev
		}
		for _, r := range out.Rows {
			after[strconv.FormatInt(r.StudentID, 10)] = r.Present
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resourceAttendance, fmt.Sprint(id)).Change(
			map[string]any{"activity_id": id, "present": before}, map[string]any{"activity_id": id, "present": after}))
	})
	if err != nil {
		return club.Recording{}, err
	}
	return out, nil
}

// ActivitySnapshot is the audit view of an activity.
func ActivitySnapshot(a club.Activity) map[string]any {
	m := map[string]any{"id": a.ID, "club_id": a.ClubID, "title": a.Title, "activity_type": a.ActivityType,
		"starts_at": rfc3339(a.StartsAt), "ends_at": rfc3339p(a.EndsAt), "location": nil, "capacity": nil, "status": string(a.Status)}
	if a.Location != nil {
		m["location"] = *a.Location
	}
	if a.Capacity != nil {
		m["capacity"] = *a.Capacity
	}
	return m
}
