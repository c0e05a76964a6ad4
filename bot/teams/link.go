package teams

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

var _ bot.MessageLinker = (*Platform)(nil)

// MessageLink returns the deep link to message messageID, which the bot
// posted in channel, in Microsoft's documented form for a message of a
// channel's conversation:
//
//	https://teams.microsoft.com/l/message/{channelId}/{messageId}?tenantId=…&groupId=…&parentMessageId=…&teamName=…&channelName=…
//
// built from what the store keeps of the channel and its team (its
// Microsoft 365 group id, its name). A team whose group id no event from
// it has brought (added before Handoff kept group ids, and no event
// naming its group since: keepTeamGroup) is asked about once
// (teamDetails), and the answer kept. It returns "" when
// a part is not known: a channel never stored, a team Teams no longer
// lets the bot read, a direct chat, a team Teams did not answer about a
// moment ago. A store that fails, or Teams not answering, is an error.
func (p *Platform) MessageLink(ctx context.Context, channel, messageID string) (string, error) {
	if messageID == "" || isDirect(channel) {
		return "", nil
	}
	ref, err := p.resolve(ctx, channel)
	if handoff.ErrorCode(err) == handoff.ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", err // resolve names the channel
	}
	team, err := p.teamOfLink(ctx, ref)
	if err != nil {
		return "", err
	}
	channelID := handoff.TeamsBaseConversation(cmp.Or(ref.ChannelID, ref.ConversationID))
	parent := messageID
	if _, root, ok := strings.Cut(channel, ";messageid="); ok && root != "" {
		parent = root // a reply in a thread
	}
	query := []struct{ key, value string }{
		{"tenantId", cmp.Or(ref.TenantID, p.tenantID)},
		{"groupId", cmp.Or(ref.GroupID, team.GroupID)},
		{"parentMessageId", parent},
		{"teamName", cmp.Or(ref.TeamName, team.TeamName)},
		{"channelName", ref.ChannelName},
	}
	var q []string
	for _, kv := range query {
		if kv.value == "" {
			return "", nil
		}
		q = append(q, kv.key+"="+queryEscape(kv.value))
	}
	return "https://teams.microsoft.com/l/message/" + url.PathEscape(channelID) + "/" + url.PathEscape(messageID) + "?" + strings.Join(q, "&"), nil
}

// teamOfLink is what a link to a message in channel ref needs of its team
// that ref does not hold: the group id and name of ref's team, from the
// team's General channel as stored (kept when the app was added, an event
// that names the group, where a channel created later is kept from one
// that may not, or from any later event of the team naming it on any
// replica: App.keepTeamGroup), or else from Teams (teamDetails). It is empty when ref
// holds both, or names no team. The links made at once for one team share
// one look-up (lookUpTeam), and one that starts after another ended reads
// the store again, so that Teams is asked once. The look-up is the first
// caller's, but not cancelled with it: each caller waits for it until its
// own ctx ends, which ends its wait alone (an error naming ctx's), and the
// look-up goes on for the others and for the next links, which find its
// answer stored.
func (p *Platform) teamOfLink(ctx context.Context, ref handoff.TeamsConversation) (handoff.TeamsConversation, error) {
	if (ref.GroupID != "" && ref.TeamName != "") || ref.TeamID == "" {
		return handoff.TeamsConversation{}, nil
	}
	answer := p.teamAsks.flight.DoChan(ref.TeamID, func() (any, error) {
		return p.lookUpTeam(ctx, ref)
	})
	if p.teamAsks.waiting != nil {
		p.teamAsks.waiting(ref.TeamID)
	}
	select {
	case r := <-answer:
		return r.Val.(handoff.TeamsConversation), r.Err
	case <-ctx.Done():
		return handoff.TeamsConversation{}, fmt.Errorf("teams: waiting for team %s's details: %w", ref.TeamID, ctx.Err())
	}
}

// lookUpTeam is teamOfLink's look-up of ref's team, shared by the links
// made at once: the store's General channel of the team, else Teams'
// answer (teamDetails). It keeps ctx's values (the first caller's) but
// not its cancellation or deadline, since other callers wait on it; its
// own bound is the Bot Connector's Timeout (TEAMS_TIMEOUT), the whole
// look-up (the store's read and writes, the call and the token it may
// need) as one wait, as a cache's fetch of what Teams says (newCache).
func (p *Platform) lookUpTeam(ctx context.Context, ref handoff.TeamsConversation) (handoff.TeamsConversation, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.conn.Timeout)
	defer cancel()
	team, err := p.store.TeamsConversation(ctx, ref.TeamID)
	if err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
		return team, err
	}
	if cmp.Or(ref.GroupID, team.GroupID) != "" && cmp.Or(ref.TeamName, team.TeamName) != "" {
		return team, nil
	}
	return p.teamDetails(ctx, ref, team)
}

// teamDetails asks Teams for the group id and name of channel ref's team
// (the Bot Connector's team details), for a team added before Handoff
// kept group ids, and keeps what it gives on ref's row and on the team's
// General channel's (team, when stored), so that Teams is asked once. It
// returns the details with what team holds of those Teams left out. A
// team Teams does not let the bot read (it was removed from the team: 403
// or 404) gives an empty answer, not an error, as does a team Teams is not
// asked about again yet (teamWontSayFor, teamUnansweredFor). An answer
// that leaves the link without the group id or the name, even with what
// is stored, is returned as it is, and holds off the next ask as a
// refusal does.
func (p *Platform) teamDetails(ctx context.Context, ref, team handoff.TeamsConversation) (handoff.TeamsConversation, error) {
	if !p.teamAsks.mayAsk(ref.TeamID, p.Now()) {
		return handoff.TeamsConversation{}, nil
	}
	details, err := p.conn.TeamDetails(ctx, ref.ServiceURL, ref.TeamID)
	var se *StatusError
	if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusForbidden) {
		p.teamAsks.asked(ref.TeamID, p.Now().Add(teamWontSayFor), true)
		return handoff.TeamsConversation{}, nil
	}
	if err != nil {
		p.teamAsks.asked(ref.TeamID, p.Now().Add(unansweredFor(err)), false)
		return handoff.TeamsConversation{}, err
	}
	found := handoff.TeamsConversation{TeamID: ref.TeamID,
		TeamName: cmp.Or(details.Name, team.TeamName), GroupID: cmp.Or(details.AADGroupID, team.GroupID)}
	var again time.Time // none: the link is made
	if cmp.Or(ref.GroupID, found.GroupID) == "" || cmp.Or(ref.TeamName, found.TeamName) == "" {
		// Teams' answer, which it would give again: no link until the
		// app's event stores the group id (teamOfLink reads it first).
		again = p.Now().Add(teamWontSayFor)
	}
	p.teamAsks.asked(ref.TeamID, again, true)
	now := p.Now().UTC()
	for _, row := range []handoff.TeamsConversation{ref, team} {
		if row.ConversationID == "" {
			continue
		}
		kept := handoff.TeamsConversation{ConversationID: row.ConversationID, ServiceURL: row.ServiceURL,
			TeamName: details.Name, GroupID: details.AADGroupID}
		if err := p.store.SaveTeamsConversation(ctx, kept, now); err != nil {
			return found, err // a store that fails; the answer is asked again next time
		}
	}
	return found, nil
}

// unansweredFor is how long a team's details go unasked after Teams did
// not answer the ask with err: teamUnansweredFor, or the wait a 429 or a
// 503 asked for (Retry-After, as the connector read it into a
// *bot.RetryAfterError) when longer, but never more than teamWontSayFor.
func unansweredFor(err error) time.Duration {
	wait := teamUnansweredFor
	var ra *bot.RetryAfterError
	if errors.As(err, &ra) {
		wait = max(wait, ra.After)
	}
	return min(wait, teamWontSayFor)
}

// How long a replica leaves a team's details unasked after Teams gave
// none it can link with (teamDetails). Teams refusing (403 or 404: the
// bot was removed from the team, or a Teams admin blocked the app) is an
// answer that holds until the bot is in the team again. The app added
// back sends a conversationUpdate that stores the group id, which every
// replica reads before it would ask (teamOfLink); so does any event from
// the team that names its group (a person added to or removed from it, a
// channel created), which keeps it where the store lacks it
// (App.keepTeamGroup), on whichever replica it reaches. An admin allowing the
// app again sends no event, but any activity the bot then receives from
// the team (a message, a card's click, a conversationUpdate), signed as
// the Bot Framework signs it, shows the bot there: it ends the hold-off
// on the replica it reaches (App.Handle, Platform.heardFrom), whose next
// link asks again, and one heard while the ask is under way keeps its
// refusal from holding off; one saying that the bot left the team
// (botLeft) ends nothing. The hour covers the rest (an addition whose
// event did not say it, the replicas no activity reached, a team that
// stays quiet), at the cost of one request an hour per team and replica,
// and an activity's end of it costs at most the one request of the next
// link, per activity from a team Teams still refuses: activities come at
// a person's pace. An answer without the group id or without the name
// (200, the part it gave kept) is one too, which Teams would give again:
// it holds as long, and ends as a refusal does. Teams not answering
// (5xx, a timeout) is asked again a minute later, not by every card
// meanwhile, or later when Teams said when to come back (Retry-After on a
// 429, as it throttles the Bot Connector, or on a 503): asking sooner
// would only be refused again, and no activity ends that wait, since the
// bot's being in the team says nothing of Teams' answering. That wait is
// capped at the hour, the longest a team goes unasked for any answer, so
// that a Retry-After of hours (or a date far off) does not leave links
// out longer than a refusal does. Either way the link is left out
// meanwhile, as for any part not known.
//
// This is kept in each replica's memory, not stored: a restart, what an
// admin does first when links do not come back, starts over; what ends
// it on every replica at once, the app added back, is stored anyway; an
// activity ends it on the replica it reached alone, the others asking at
// their hour; and a stored refusal would need a column to save at most
// one request an hour per team and replica.
const (
	teamWontSayFor    = time.Hour
	teamUnansweredFor = time.Minute
)

// teamAsks is what a Platform keeps of asking Teams for teams' details:
// the look-up under way per team (flight, keyed by team id), when a team
// that gave none may be asked again (held), and the teams asked now, each
// with whether an activity came from it meanwhile (asking). waiting, when
// set (a test, before the first link), is called as a caller begins to
// wait for a look-up it started or joined.
type teamAsks struct {
	flight  singleflight.Group
	waiting func(team string)
	mu      sync.Mutex
	held    map[string]holdOff
	asking  map[string]bool
}

// holdOff is a team left unasked until a time: for Teams' answer
// (refused: a refusal, or details without the group id), which the bot
// heard from in the team ends too (heardFrom), or for Teams' not
// answering, which only the time ends.
type holdOff struct {
	until   time.Time
	refused bool
}

// mayAsk reports whether Teams may be asked about team at now, forgetting
// a hold-off that is over; when it may, the ask is under way until asked.
func (a *teamAsks) mayAsk(team string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Before(a.held[team].until) {
		return false
	}
	delete(a.held, team)
	if a.asking == nil {
		a.asking = map[string]bool{}
	}
	a.asking[team] = false
	return true
}

// asked ends the ask of team that mayAsk began, leaving team unasked
// until again (zero: it may be asked at once), for Teams' answer
// (refused) or its not answering. A refusal does not hold off a team
// heard from while it was asked (heardFrom): Teams may have answered
// before the app was allowed back.
func (a *teamAsks) asked(team string, again time.Time, refused bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	heard := a.asking[team]
	delete(a.asking, team)
	if again.IsZero() || refused && heard {
		return
	}
	if a.held == nil {
		a.held = map[string]holdOff{}
	}
	a.held[team] = holdOff{until: again, refused: refused}
}

// heardFrom ends team's hold-off for Teams' answer, the bot being in the
// team: its details may be asked at once; a wait Teams asked for is kept.
func (a *teamAsks) heardFrom(team string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held[team].refused {
		delete(a.held, team)
	}
	if _, ok := a.asking[team]; ok {
		a.asking[team] = true
	}
}

// heardFrom tells the link's look-ups (teamAsks) that act, an
// authenticated activity, came from its team (channelData.team.id), where
// the bot is then, unless act says that the bot left it (botLeft): Teams
// refusing that team's details may have ended.
func (p *Platform) heardFrom(act *Activity) {
	if team := act.TeamsChannelData().Team.ID; team != "" && !botLeft(act) {
		p.teamAsks.heardFrom(team)
	}
}

// keepTeamGroup keeps on the stored General channel of act's team (its
// row's id is the team's) the team's Microsoft 365 group id, and its name,
// that act, a conversationUpdate or installationUpdate (App.Handle), carries
// (channelData.team.aadGroupId: Teams sends it in its conversationUpdate
// events, a person added to or removed from the team among them, not in
// messages or clicks) when the row lacks them, so that
// every replica's next link there reads them from the store (teamOfLink)
// without asking Teams, or being held off from asking. It reads first and
// writes only what the row lacks: an activity without the group id, or
// from a team whose row holds what it carries, writes nothing, and so does
// one from a team whose General channel was never stored (no row is made
// for it). A store that fails, or text it cannot keep, is logged and the
// activity handled anyway: the link asks Teams, as before.
func (a *App) keepTeamGroup(ctx context.Context, act *Activity) {
	team := act.TeamsChannelData().Team
	if team.ID == "" || team.AADGroupID == "" {
		return
	}
	row, err := a.cfg.Platform.store.TeamsConversation(ctx, team.ID)
	if handoff.ErrorCode(err) == handoff.ENOTFOUND || err == nil && handoff.TeamsBaseConversation(row.ConversationID) != team.ID {
		return // a team never stored, or an id that is no channel's
	}
	if err != nil {
		a.logger.WarnContext(ctx, "teams: team's group id not kept", "team_id", team.ID, "err", err)
		return
	}
	kept := handoff.TeamsConversation{ConversationID: row.ConversationID, ServiceURL: row.ServiceURL}
	if row.GroupID == "" {
		kept.GroupID = team.AADGroupID
	}
	if row.TeamName == "" {
		kept.TeamName = team.Name
	}
	if kept.GroupID == "" && kept.TeamName == "" {
		return // the row holds what act carries
	}
	err = checkConversation(kept, "channelData.team.id")
	if err == nil {
		err = a.cfg.Platform.store.SaveTeamsConversation(ctx, kept, a.cfg.Now().UTC())
	}
	if err != nil {
		a.logger.WarnContext(ctx, "teams: team's group id not kept", "team_id", team.ID, "err", err)
	}
}

// queryEscape escapes v for a link's query, a space as %20 (as Teams
// writes its own links) rather than +.
func queryEscape(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }
