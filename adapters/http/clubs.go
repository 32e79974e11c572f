package httpapi

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/identity"
)

// clubRoutes lists the routes of the club module. Clubs, their activities
// and statistics are readable by any signed-in user; membership lists name
// students and are for club managers (MANAGE_CLUBS), as the contract's
// "/{id}/members GET, POST (MANAGE_CLUBS)" reads.
func (s *Server) clubRoutes() []Route {
	manage := RequirePermission(identity.ManageClubs)
	anyone := Authenticated()
	const clubs = v1 + "/clubs"
	return []Route{
		{Method: "GET", Path: clubs, Tag: "clubs", Summary: "List clubs", Guard: anyone, Response: ListDTO[ClubDTO]{},
			Query: withPage(Param{"category", "string", "exact, any case"}, Param{"is_active", "boolean", ""},
				Param{"accepting_members", "boolean", ""}, Param{"q", "string", "search name and description"}), handler: s.listClubs},
		{Method: "POST", Path: clubs, Tag: "clubs", Summary: "Create a club (name unique ignoring case: 409)", Guard: RequirePermission(identity.CreateClub),
			Request: ClubRequest{}, Response: ClubDTO{}, Status: 201, handler: s.createClub},
		{Method: "GET", Path: clubs + "/:id", Tag: "clubs", Summary: "One club", Guard: anyone, Response: ClubDTO{}, handler: s.getClub},
		{Method: "PUT", Path: clubs + "/:id", Tag: "clubs", Summary: "Replace a club's fields (member_count is not writable)", Guard: manage,
			Request: ClubRequest{}, Response: ClubDTO{}, handler: s.replaceClub},
		{Method: "PATCH", Path: clubs + "/:id", Tag: "clubs", Summary: "Change some fields of a club", Guard: manage,
			Request: ClubPatchRequest{}, Response: ClubDTO{}, handler: s.patchClub},
		{Method: "DELETE", Path: clubs + "/:id", Tag: "clubs",
			Summary: "Delete a club; one with members or activities is archived instead (is_active and accepting_members false)",
			Guard:   manage, Status: 204, handler: s.deleteClub},
		{Method: "GET", Path: clubs + "/:id/statistics", Tag: "clubs",
			Summary: "Member counts by role (active members), active/inactive members, activities by status, and average_attendance_rate: " +
				"the mean over completed activities with attendance of present/recorded, each activity weighing the same (null when none)",
			Guard: anyone, Response: ClubStatisticsDTO{}, handler: s.clubStatistics},

		{Method: "GET", Path: clubs + "/:id/members", Tag: "clubs", Summary: "A club's memberships, active and not", Guard: manage,
			Response: ListDTO[ClubMemberDTO]{}, Query: withPage(Param{"role", "string", "member|president|vice_president|secretary|treasurer"},
				Param{"is_active", "boolean", ""}, Param{"student_id", "integer", ""}), handler: s.listClubMembers},
		{Method: "POST", Path: clubs + "/:id/members", Tag: "clubs",
			Summary: "Enrol a student (a former member is reactivated; an office held by another active member is 409)", Guard: manage,
			Request: ClubMemberRequest{}, Response: ClubMemberDTO{}, Status: 201, handler: s.addClubMember},
		{Method: "PATCH", Path: clubs + "/:id/members/:member_id", Tag: "clubs", Summary: "Change a member's role or activity", Guard: manage,
			Request: ClubMemberPatchRequest{}, Response: ClubMemberDTO{}, handler: s.patchClubMember},
		{Method: "DELETE", Path: clubs + "/:id/members/:member_id", Tag: "clubs", Summary: "Remove a membership", Guard: manage,
			Status: 204, handler: s.removeClubMember},
		{Method: "POST", Path: clubs + "/:id/join", Tag: "clubs",
			Summary: "Join as the calling student (active club accepting members, else 400; already a member: 409)",
			Guard:   OnlyRole(identity.RoleStudent), Response: ClubMemberDTO{}, handler: s.joinClub},
		{Method: "POST", Path: clubs + "/:id/leave", Tag: "clubs", Summary: "Leave as the calling student (not a member: 404)",
			Guard: OnlyRole(identity.RoleStudent), Response: ClubMemberDTO{}, handler: s.leaveClub},

		{Method: "GET", Path: clubs + "/:id/activities", Tag: "clubs", Summary: "A club's activities", Guard: anyone,
			Response: ListDTO[ClubActivityDTO]{}, Query: withPage(Param{"status", "string", "planned|ongoing|completed|cancelled"},
				Param{"from", "string", "starts_at from, date or RFC 3339, inclusive"}, Param{"to", "string", "starts_at to, date or RFC 3339, inclusive"}),
			handler: s.listClubActivities},
		{Method: "POST", Path: clubs + "/:id/activities", Tag: "clubs", Summary: "Add an activity (ends_at after starts_at)", Guard: manage,
			Request: ClubActivityRequest{}, Response: ClubActivityDTO{}, Status: 201, handler: s.createClubActivity},
		{Method: "PATCH", Path: clubs + "/:id/activities/:activity_id", Tag: "clubs",
			Summary: "Change an activity (status moves planned→ongoing→completed, or to cancelled; otherwise 409)", Guard: manage,
			Request: ClubActivityPatchRequest{}, Response: ClubActivityDTO{}, handler: s.patchClubActivity},
		{Method: "DELETE", Path: clubs + "/:id/activities/:activity_id", Tag: "clubs", Summary: "Delete an activity and its attendance",
			Guard: manage, Status: 204, handler: s.deleteClubActivity},
		{Method: "POST", Path: clubs + "/:id/activities/:activity_id/attendance", Tag: "clubs",
			Summary: "Record attendance, upserting per student: active members only and no more present than the capacity (422 otherwise)",
			Guard:   manage, Request: ClubAttendanceRequest{}, Response: ClubAttendanceDTO{}, handler: s.recordClubAttendance},
	}
}

func (s *Server) listClubs(c *fiber.Ctx) error {
	q := newQuery(c)
	f := club.Filter{Category: q.str("category"), IsActive: q.boolp("is_active"), AcceptingMembers: q.boolp("accepting_members"), Query: q.str("q")}
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Clubs.List(c.UserContext(), caller(c), f, p)
	if err != nil {
		return err
	}
	return list(c, r, clubDTO)
}

func (s *Server) getClub(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cl, err := s.d.Clubs.Get(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(clubDTO(cl))
}

func (s *Server) createClub(c *fiber.Ctx) error {
	var req ClubRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	cl, err := s.d.Clubs.Create(c.UserContext(), caller(c), req.fields())
	if err != nil {
		return err
	}
	c.Location(v1 + "/clubs/" + itoa(cl.ID))
	return c.Status(fiber.StatusCreated).JSON(clubDTO(cl))
}

func (s *Server) replaceClub(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req ClubRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	cl, err := s.d.Clubs.Replace(c.UserContext(), caller(c), id, req.fields())
	if err != nil {
		return err
	}
	return c.JSON(clubDTO(cl))
}

func (s *Server) patchClub(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req ClubPatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	cl, err := s.d.Clubs.Patch(c.UserContext(), caller(c), id, req.patch())
	if err != nil {
		return err
	}
	return c.JSON(clubDTO(cl))
}

func (s *Server) deleteClub(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.d.Clubs.Delete(c.UserContext(), caller(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) clubStatistics(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	st, err := s.d.Clubs.Statistics(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(clubStatisticsDTO(st))
}

func (s *Server) listClubMembers(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	q := newQuery(c)
	f := club.MemberFilter{IsActive: q.boolp("is_active"), StudentID: q.int64p("student_id")}
	if r := q.str("role"); r != "" {
		role, err := club.ParseRole(r)
		if err != nil {
			q.v.Add("role", "must be one of member, president, vice_president, secretary, treasurer")
		}
		f.Role = role
	}
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Clubs.Members(c.UserContext(), caller(c), id, f, p)
	if err != nil {
		return err
	}
	return list(c, r, clubMemberDTO)
}

func (s *Server) addClubMember(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req ClubMemberRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	role := club.RoleMember
	if req.Role != "" {
		if role, err = club.ParseRole(req.Role); err != nil {
			return invalidField("role", "must be one of member, president, vice_president, secretary, treasurer")
		}
	}
	m, err := s.d.Clubs.AddMember(c.UserContext(), caller(c), id, req.StudentID, role)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("%s/clubs/%d/members/%d", v1, id, m.ID))
	return c.Status(fiber.StatusCreated).JSON(clubMemberDTO(m))
}

func (s *Server) patchClubMember(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	memberID, err := pathID(c, "member_id")
	if err != nil {
		return err
	}
	var req ClubMemberPatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	p := club.MemberPatch{IsActive: req.IsActive}
	if req.Role != nil {
		role, err := club.ParseRole(*req.Role)
		if err != nil {
			return invalidField("role", "must be one of member, president, vice_president, secretary, treasurer")
		}
		p.Role = &role
	}
	m, err := s.d.Clubs.ChangeMember(c.UserContext(), caller(c), id, memberID, p)
	if err != nil {
		return err
	}
	return c.JSON(clubMemberDTO(m))
}

func (s *Server) removeClubMember(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	memberID, err := pathID(c, "member_id")
	if err != nil {
		return err
	}
	if err := s.d.Clubs.RemoveMember(c.UserContext(), caller(c), id, memberID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) joinClub(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.d.Clubs.Join(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(clubMemberDTO(m))
}

func (s *Server) leaveClub(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.d.Clubs.Leave(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(clubMemberDTO(m))
}

func (s *Server) listClubActivities(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	q := newQuery(c)
	f := club.ActivityFilter{From: q.timep("from", false), To: q.timep("to", true)}
	if st := q.str("status"); st != "" {
		v, err := club.ParseStatus(st)
		if err != nil {
			q.v.Add("status", "must be one of planned, ongoing, completed, cancelled")
		}
		f.Status = v
	}
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Clubs.Activities(c.UserContext(), caller(c), id, f, p)
	if err != nil {
		return err
	}
	return list(c, r, clubActivityDTO)
}

func (s *Server) createClubActivity(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req ClubActivityRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	f, err := req.fields()
	if err != nil {
		return err
	}
	a, err := s.d.Clubs.CreateActivity(c.UserContext(), caller(c), id, f)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("%s/clubs/%d/activities/%d", v1, id, a.ID))
	return c.Status(fiber.StatusCreated).JSON(clubActivityDTO(a))
}

func (s *Server) patchClubActivity(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	activityID, err := pathID(c, "activity_id")
	if err != nil {
		return err
	}
	var req ClubActivityPatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	p, err := req.patch()
	if err != nil {
		return err
	}
	a, err := s.d.Clubs.PatchActivity(c.UserContext(), caller(c), id, activityID, p)
	if err != nil {
		return err
	}
	return c.JSON(clubActivityDTO(a))
}

func (s *Server) deleteClubActivity(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	activityID, err := pathID(c, "activity_id")
	if err != nil {
		return err
	}
	if err := s.d.Clubs.DeleteActivity(c.UserContext(), caller(c), id, activityID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) recordClubAttendance(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	activityID, err := pathID(c, "activity_id")
	if err != nil {
		return err
	}
	var req ClubAttendanceRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	marks := make([]club.Mark, len(req.Records))
	for i, r := range req.Records {
		marks[i] = club.Mark{StudentID: r.StudentID, Present: r.Present}
	}
	r, err := s.d.Clubs.RecordAttendance(c.UserContext(), caller(c), id, activityID, marks)
	if err != nil {
		return err
	}
	return c.JSON(ClubAttendanceDTO{ActivityID: activityID, Created: r.Created, Updated: r.Updated, Present: r.Present, Absent: r.Absent})
}
