package storage

// OpenConns is how many connections the reader pool and the writer hold
// open, and how many of the readers' are idle.
func (s *Store) OpenConns() (readers, idle, writers int) {
	r, _ := s.db.DB()
	w, _ := s.write.DB()
	rs, ws := r.Stats(), w.Stats()
	return rs.OpenConnections, rs.Idle, ws.OpenConnections
}
