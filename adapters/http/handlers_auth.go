package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
)

func (s *Server) login(c *fiber.Ctx) error {
	var req LoginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	pair, err := s.d.Auth.Login(c.UserContext(), auth.LoginCommand{Username: req.Username, Password: req.Password, Origin: origin(c)})
	if err != nil {
		switch fault.KindOf(err) {
		case fault.Unauthenticated:
			s.metrics.loginFailed("bad_credentials")
		case fault.Throttled:
			s.metrics.loginFailed("locked")
		case fault.Forbidden:
			s.metrics.loginFailed("disabled")
		}
		return err
	}
	return c.JSON(tokenDTO(pair))
}

func (s *Server) register(c *fiber.Ctx) error {
	var req RegisterRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := s.d.Auth.Register(c.UserContext(), caller(c), auth.RegisterCommand{Username: req.Username, Email: req.Email,
		Password: req.Password, FullName: req.FullName, Role: req.Role})
	if err != nil {
		return err
	}
	c.Location("/api/v1/users/" + itoa(u.ID))
	return c.Status(fiber.StatusCreated).JSON(profileDTO(u))
}

func (s *Server) refresh(c *fiber.Ctx) error {
	var req RefreshRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	pair, err := s.d.Auth.Refresh(c.UserContext(), req.RefreshToken, origin(c))
	if err != nil {
		return err
	}
	return c.JSON(tokenDTO(pair))
}

func (s *Server) logout(c *fiber.Ctx) error {
	var req LogoutRequest
	if len(c.Body()) > 0 {
		if err := decode(c, &req); err != nil {
			return err
		}
	}
	if err := s.d.Auth.Logout(c.UserContext(), caller(c), req.Token); err != nil {
		return err
	}
	return c.JSON(MessageDTO{Message: "Logged out"})
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	var req ChangePasswordRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	err := s.d.Auth.ChangePassword(c.UserContext(), caller(c), auth.ChangePasswordCommand{Old: req.OldPassword, New: req.NewPassword, Confirm: req.ConfirmPassword})
	if err != nil {
		return err
	}
	return c.JSON(MessageDTO{Message: "Password changed; your other sessions were signed out"})
}

func (s *Server) profile(c *fiber.Ctx) error {
	u, err := s.d.Auth.Profile(c.UserContext(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(profileDTO(u))
}

func (s *Server) updateProfile(c *fiber.Ctx) error {
	var req ProfileUpdateRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := s.d.Auth.UpdateProfile(c.UserContext(), caller(c), identity.ProfileChange{FullName: req.FullName, Email: req.Email})
	if err != nil {
		return err
	}
	return c.JSON(profileDTO(u))
}

func (s *Server) verify(c *fiber.Ctx) error {
	a, cl := caller(c), claimsOf(c)
	return c.JSON(VerifyDTO{Valid: true, UserID: a.UserID, Username: a.Username, Role: string(a.Role), ExpiresAt: cl.ExpiresAt.UTC()})
}

func (s *Server) permissions(c *fiber.Ctx) error {
	a := caller(c)
	granted := identity.Granted(a.Role)
	out := PermissionsDTO{Role: string(a.Role), Permissions: make([]string, len(granted))}
	for i, p := range granted {
		out.Permissions[i] = string(p)
	}
	return c.JSON(out)
}

func (s *Server) sessions(c *fiber.Ctx) error {
	list, err := s.d.Auth.Sessions(c.UserContext(), caller(c))
	if err != nil {
		return err
	}
	out := make([]SessionDTO, len(list))
	for i, x := range list {
		out[i] = sessionDTO(x)
	}
	return c.JSON(out)
}

func (s *Server) deleteSession(c *fiber.Ctx) error {
	if err := s.d.Auth.DeleteSession(c.UserContext(), caller(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) roles(c *fiber.Ctx) error {
	if err := identity.RequireRole(caller(c), identity.RoleAdmin); err != nil {
		return err
	}
	m := identity.Matrix()
	out := RolesDTO{}
	for _, p := range identity.Permissions() {
		out.Permissions = append(out.Permissions, string(p))
	}
	for _, r := range identity.Roles {
		row := RoleDTO{Role: string(r), Level: r.Level(), Permissions: []GrantDTO{}}
		for _, g := range m[r] {
			row.Permissions = append(row.Permissions, GrantDTO{Permission: string(g.Permission), Scope: g.Scope.String()})
		}
		out.Roles = append(out.Roles, row)
	}
	return c.JSON(out)
}

// authLimitReached answers a throttled auth request.
func authLimitReached(c *fiber.Ctx) error {
	return &fault.Error{Kind: fault.Throttled, Message: "Too many authentication requests from this address; try again later",
		RetryAfter: 60e9}
}
