package httpapi

// complaintRoutes lists the routes of the complaint module (filled in by its slice).
func (s *Server) complaintRoutes() []Route { return nil }
