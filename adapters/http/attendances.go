package httpapi

// attendanceRoutes lists the routes of the attendance module (filled in by its slice).
func (s *Server) attendanceRoutes() []Route { return nil }
