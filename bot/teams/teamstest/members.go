package teamstest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Member is a member of a team as the Bot Connector's members API
// describes them.
type Member struct {
	ID                string `json:"id"` // the Bot Framework user id, "29:…"
	Name              string `json:"name"`
	AADObjectID       string `json:"aadObjectId"`
	Email             string `json:"email"`
	UserPrincipalName string `json:"userPrincipalName"`
	// UserRole is "user" for a full member of the tenant (what the fake
	// answers when it is empty), "guest" for a guest, "anonymous" for an
	// anonymous meeting participant, as the Bot Connector says.
	UserRole string `json:"userRole"`
}

// described is m as the Bot Connector describes them: with a userRole,
// their own or, when empty, "guest" for SetGuests' ids, else "user". The
// caller holds s.mu.
func (s *Server) described(m Member) Member {
	if m.UserRole == "" {
		m.UserRole = s.roleOf(m.ID)
	}
	return m
}

// SetRoster makes members the only members of conversation (a team): the
// paged members API lists them, and the single member API finds them by
// Bot Framework id, Entra object id, email or user principal name (as
// Teams does) and answers 404 for anyone else.
func (s *Server) SetRoster(conversation string, members ...Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.roster == nil {
		s.roster = map[string][]Member{}
	}
	s.roster[conversation] = append([]Member(nil), members...)
}

// rosterMember finds a member by any of their ids in conversation's
// roster, or, for a conversation without one (a channel, a chat), in any
// roster: Teams describes a user the same way in every conversation.
func (s *Server) rosterMember(conversation, id string) (Member, bool) {
	rosters := s.roster
	if r, ok := s.roster[conversation]; ok {
		rosters = map[string][]Member{conversation: r}
	}
	for _, r := range rosters {
		if m, ok := findMember(r, id); ok {
			return m, true
		}
	}
	return Member{}, false
}

func findMember(members []Member, id string) (Member, bool) {
	for _, m := range members {
		for _, v := range []string{m.ID, m.AADObjectID, m.Email, m.UserPrincipalName} {
			if v != "" && strings.EqualFold(v, id) {
				return m, true
			}
		}
	}
	return Member{}, false
}

// pagedMembers answers GET v3/conversations/{id}/pagedmembers: the
// conversation's roster, pageSize at a time, the continuation token being
// the next index.
func (s *Server) pagedMembers(w http.ResponseWriter, conversation string, q url.Values) {
	all := s.roster[conversation]
	size, _ := strconv.Atoi(q.Get("pageSize"))
	if size <= 0 || size > s.pageSize() {
		size = s.pageSize()
	}
	from, _ := strconv.Atoi(q.Get("continuationToken"))
	from = min(max(from, 0), len(all))
	to := min(from+size, len(all))
	page := []Member{}
	for _, m := range all[from:to] {
		page = append(page, s.described(m))
	}
	res := map[string]any{"members": page}
	if to < len(all) {
		res["continuationToken"] = strconv.Itoa(to)
	}
	writeJSON(w, 200, res)
}

// pageSize is the most members one page holds: 500 as in Teams, or what
// SetPageSize set.
func (s *Server) pageSize() int {
	if s.maxPage > 0 {
		return s.maxPage
	}
	return 500
}

// SetPageSize makes the paged members API answer at most n members a
// page, to test paging.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	s.maxPage = n
	s.mu.Unlock()
}

// inConversation reports whether the single member API finds user in
// conversation without a roster: anyone, unless SetMembers named its
// members or it is a personal chat the fake created for someone else (a
// personal chat has its user and the bot). The caller holds s.mu.
func (s *Server) inConversation(conversation, user string) bool {
	if set, ok := s.members[conversation]; ok {
		return set[user]
	}
	if owner, ok := s.chats[conversation]; ok {
		return owner == user
	}
	return true
}

// createdChat records the user of a personal chat created by POST
// v3/conversations (its members' first). The caller holds s.mu.
func (s *Server) createdChat(conversation string, body map[string]any) {
	members, _ := body["members"].([]any)
	if len(members) == 0 {
		return
	}
	first, _ := members[0].(map[string]any)
	id, _ := first["id"].(string)
	if s.chats == nil {
		s.chats = map[string]string{}
	}
	s.chats[conversation] = id
}

// ChatUser returns the user of conversation when it is a personal chat
// the fake created (POST v3/conversations with them as its member), else
// "".
func (s *Server) ChatUser(conversation string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chats[conversation]
}

// genericMember is the single member API's answer for a user of no
// roster, in the Bot Connector's wire format (a TeamsChannelAccount): the
// Entra object id the fake's activities carry ("aad-" and the id after
// "29:"), and the userRole SetGuests decides. The caller holds s.mu.
func (s *Server) genericMember(user string) map[string]any {
	return map[string]any{"id": user, "name": "Member", "aadObjectId": "aad-" + strings.TrimPrefix(user, "29:"),
		"email": "Rep@Example.com", "userPrincipalName": "rep@example.com", "userRole": s.roleOf(user)}
}
