package teamstest

import (
	"net/http"
	"strings"
)

// SetTeam makes the Bot Connector know team t (GET v3/teams/{t.ID}
// answers its name and group id, as TeamDetails, leaving out either when
// t has none); a team never set is answered 404, as for a team the bot is
// not in.
func (s *Server) SetTeam(t Team) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.teams == nil {
		s.teams = map[string]Team{}
	}
	s.teams[t.ID] = t
}

// teamDetails answers GET v3/teams/{id}. The caller holds s.mu.
func (s *Server) teamDetails(w http.ResponseWriter, id string) {
	t, ok := s.teams[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "NotFound", "message": "team not found"}})
		return
	}
	details := map[string]any{"id": id, "type": "standard", "channelCount": 2, "memberCount": 3}
	if t.Name != "" {
		details["name"] = t.Name
	}
	if t.GroupID != "" {
		details["aadGroupId"] = t.GroupID
	}
	writeJSON(w, http.StatusOK, details)
}

// connectorPath reports whether path is the Bot Connector's: its
// conversations or its teams.
func connectorPath(path string) bool {
	return strings.HasPrefix(path, "/v3/conversations") || strings.HasPrefix(path, "/v3/teams/")
}
