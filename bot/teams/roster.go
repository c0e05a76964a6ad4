package teams

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/cache"
)

// Roster is the member list of the team of the Teams sales channel (the
// Bot Connector's paged conversation members, cached for 5 minutes). It
// finds the Teams user of a rep the agreement names by email or Entra
// object id, and members by display name.
type Roster struct {
	platform *Platform
	channel  string
	members  *cache.Cache[[]Member]
}

// NewRoster returns the roster of the team of channel (TEAMS_SALES_CHANNEL,
// a name or an id); an empty channel has no members.
func NewRoster(p *Platform, channel string) *Roster {
	r := &Roster{platform: p, channel: channel}
	r.members = newCache(p, 5*time.Minute, r.fetch)
	// Routing asks in the background; a first answer may take longer
	// than an interactive lookup is allowed to wait.
	r.members.Wait = 5 * time.Second
	return r
}

// Members returns the team's members. It returns an error when the
// channel is not known yet or the Bot Connector cannot be asked (both
// marked bot.Unanswered), or the store fails.
func (r *Roster) Members(ctx context.Context) ([]Member, error) {
	if r == nil || r.channel == "" {
		return nil, nil
	}
	members, err := r.members.Get(ctx, "team")
	return members, slow(err)
}

func (r *Roster) fetch(ctx context.Context, _ string) ([]Member, error) {
	serviceURL, team, err := r.platform.teamOf(ctx, r.channel)
	if err != nil {
		return nil, err
	}
	m, err := r.platform.conn.ConversationMembers(ctx, serviceURL, team)
	if err != nil {
		return nil, fmt.Errorf("teams: members of team %s: %w", team, err)
	}
	return m, nil
}

// Find returns the member named by id: their Bot Framework id, Entra
// object id, email or user principal name (case-insensitive). It returns
// ENOTFOUND when no member of the team has it.
func (r *Roster) Find(ctx context.Context, id string) (Member, error) {
	members, err := r.Members(ctx)
	if err != nil {
		return Member{}, err
	}
	for _, m := range members {
		for _, v := range []string{m.ID, m.AADObjectID, m.Email, m.UserPrincipalName} {
			if v != "" && strings.EqualFold(v, id) {
				return m, nil
			}
		}
	}
	return Member{}, handoff.Errorf(handoff.ENOTFOUND, "no member of the sales channel's team is %s", id)
}

// Named returns the members whose display name is name (case-insensitive,
// spaces normalised).
func (r *Roster) Named(ctx context.Context, name string) ([]Member, error) {
	members, err := r.Members(ctx)
	if err != nil {
		return nil, err
	}
	want := strings.Join(strings.Fields(name), " ")
	var out []Member
	for _, m := range members {
		if want != "" && strings.EqualFold(strings.Join(strings.Fields(m.Name), " "), want) {
			out = append(out, m)
		}
	}
	return out, nil
}

// ConversationMembers returns every member of a conversation (for a team,
// all its members), page by page (GET …/pagedmembers, 500 a page).
func (c *Connector) ConversationMembers(ctx context.Context, serviceURL, conversationID string) ([]Member, error) {
	var all []Member
	token := ""
	for range 100 {
		q := url.Values{"pageSize": {"500"}}
		if token != "" {
			q.Set("continuationToken", token)
		}
		var page struct {
			ContinuationToken string   `json:"continuationToken"`
			Members           []Member `json:"members"`
		}
		path := "v3/conversations/" + url.PathEscape(conversationID) + "/pagedmembers?" + q.Encode()
		if err := c.do(ctx, http.MethodGet, serviceURL, path, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Members...)
		if page.ContinuationToken == "" {
			return all, nil
		}
		token = page.ContinuationToken
	}
	return nil, fmt.Errorf("teams: members of %s: more than 100 pages", conversationID)
}
