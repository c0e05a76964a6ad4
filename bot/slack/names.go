package slack

import (
	"cmp"
	"context"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
)

// namesTTL is how long a user's name is kept before it is asked again.
const namesTTL = 10 * time.Minute

// maxNameLookups is the most users a message names by users.info, at most
// that many calls at once; more unknown users are read with users.list,
// usersPerPage a call: users.info is a Tier 4 method (about 100 calls a
// minute), which a digest of 200 reps would overrun on its own.
const maxNameLookups = 8

// usersPerPage is the users one users.list call returns (Slack's
// recommended limit).
const usersPerPage = 200

// userNames knows Slack users' names, for the tables Slack shows as text
// (the App Home, a command's answer in its HTTP response, workspaces that
// refuse native tables): a code block shows a mention as its markup, so
// there a user is written by name. It is one cache for all of them: a
// name is kept for namesTTL, whether users.info or users.list gave it,
// or until a user_change gives another (changed). Its
// methods are safe for concurrent use.
type userNames struct {
	api *slackapi.Client
	now func() time.Time

	mu    sync.Mutex
	known map[string]knownName
	list  sync.Mutex // one users.list at a time; a second waits and finds the names
}

// knownName is a user's name and when Slack gave it.
type knownName struct {
	name string
	at   time.Time
}

func newUserNames(api *slackapi.Client) *userNames {
	return &userNames{api: api, now: time.Now, known: map[string]knownName{}}
}

// options returns the text tables' options for msgs: the names of the
// Slack users their tables mention, as far as Slack answered (within
// ctx); a user it did not answer for is written as the mention's label, as
// before. A few users not known yet are asked with users.info, many with
// users.list.
func (n *userNames) options(ctx context.Context, msgs ...bot.Message) report.Options {
	ids := mentionedUsers(msgs)
	if len(ids) == 0 {
		return report.Options{}
	}
	names := map[string]string{}
	if missing := n.lookup(ids, names); len(missing) > maxNameLookups {
		n.listUsers(ctx, missing)
	} else {
		n.askEach(ctx, missing)
	}
	n.lookup(ids, names)
	return report.Options{Names: func(platform, userID string) (string, bool) {
		if platform != "" && platform != Name {
			return "", false
		}
		name, ok := names[userID]
		return name, ok
	}}
}

// mentionedUsers is the Slack users the tables of msgs mention.
func mentionedUsers(msgs []bot.Message) []string {
	var ids []string
	seen := map[string]bool{}
	for _, m := range msgs {
		for _, t := range m.Tables {
			for _, row := range t.Rows {
				for _, cell := range row {
					for _, part := range bot.SplitMentions(cell) {
						if mt := part.Mention; mt != nil && (mt.Platform == "" || mt.Platform == Name) && mt.UserID != "" && !seen[mt.UserID] {
							seen[mt.UserID] = true
							ids = append(ids, mt.UserID)
						}
					}
				}
			}
		}
	}
	return ids
}

// lookup adds the names known of ids to names (a stale one too, in case
// asking again fails) and returns the ids whose name is unknown or stale.
func (n *userNames) lookup(ids []string, names map[string]string) []string {
	now := n.now()
	n.mu.Lock()
	defer n.mu.Unlock()
	var missing []string
	for _, id := range ids {
		k, ok := n.known[id]
		if ok && k.name != "" {
			names[id] = k.name
		}
		if !ok || now.Sub(k.at) >= namesTTL {
			missing = append(missing, id)
		}
	}
	return missing
}

// keep records what Slack said of u.
func (n *userNames) keep(u slackapi.User, at time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.known[u.ID] = knownName{name: nameOf(u), at: at}
}

// nameOf is the name a text table writes for u: as Slack's clients show
// them, their display name, else their full name, else their handle.
func nameOf(u slackapi.User) string {
	return cmp.Or(u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name)
}

// changed records u as a user_change event gives them: a renamed user is
// written by their new name at once, not up to namesTTL later; one the
// event gives no name for is asked again at the next table naming them.
func (n *userNames) changed(u slackapi.User) {
	if u.ID == "" {
		return
	}
	if nameOf(u) == "" {
		n.mu.Lock()
		delete(n.known, u.ID)
		n.mu.Unlock()
		return
	}
	n.keep(u, n.now())
}

// unknown records ids as users Slack gave no name for.
func (n *userNames) unknown(ids map[string]bool) {
	at := n.now()
	n.mu.Lock()
	defer n.mu.Unlock()
	for id := range ids {
		n.known[id] = knownName{at: at}
	}
}

// listUsers reads the workspace's users with users.list, usersPerPage a
// call, keeping every name, until it has read those of want (or the
// list's end, or ctx's). A failed page ends it: what was read stays. A
// user of want the whole list did not hold (of another workspace) is kept
// as unnamed, so that the next message does not list them all again.
func (n *userNames) listUsers(ctx context.Context, want []string) {
	n.list.Lock()
	defer n.list.Unlock()
	left := map[string]bool{}
	for _, id := range n.lookup(want, map[string]string{}) { // another call may have read them meanwhile
		left[id] = true
	}
	p := n.api.GetUsersPaginated(slackapi.GetUsersOptionLimit(usersPerPage), slackapi.GetUsersOptionIncludeLocale(false))
	for len(left) > 0 {
		var err error
		p, err = p.Next(ctx)
		if p.Done(err) {
			n.unknown(left) // not in the workspace's list: not asked again for a while
			return
		}
		if err != nil {
			return
		}
		at := n.now()
		for _, u := range p.Users {
			n.keep(u, at)
			delete(left, u.ID)
		}
	}
}

// askEach asks users.info for each of ids, at most maxNameLookups at
// once.
func (n *userNames) askEach(ctx context.Context, ids []string) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, maxNameLookups)
	for _, id := range ids {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			if u, err := n.api.GetUserInfoContext(ctx, id); err == nil {
				n.keep(*u, n.now())
			}
		}()
	}
	wg.Wait()
}
