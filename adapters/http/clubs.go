package httpapi

// clubRoutes lists the routes of the club module (filled in by its slice).
func (s *Server) clubRoutes() []Route { return nil }
