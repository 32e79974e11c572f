package httpapi

// riskRoutes lists the routes of the risk module (filled in by its slice).
func (s *Server) riskRoutes() []Route { return nil }
