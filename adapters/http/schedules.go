package httpapi

// scheduleRoutes lists the routes of the schedule module (filled in by its slice).
func (s *Server) scheduleRoutes() []Route { return nil }
