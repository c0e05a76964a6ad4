package slack

import (
	"cmp"
	"context"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/internal/cache"
)

// namesTTL is how long a user's name is kept before it is asked again.
const namesTTL = 10 * time.Minute

// maxNameLookups bounds the users.info calls one message waits for at
// once.
const maxNameLookups = 8

// userNames knows Slack users' names (users.info, kept for namesTTL), for
// the tables Slack shows as text (the App Home, workspaces that refuse
// native tables): a code block shows a mention as its markup, so there a
// user is written by name.
type userNames struct {
	cache *cache.Cache[string]
}

func newUserNames(api *slackapi.Client) *userNames {
	return &userNames{cache: cache.New(namesTTL, func(ctx context.Context, id string) (string, error) {
		u, err := api.GetUserInfoContext(ctx, id)
		if err != nil {
			return "", classify("users.info", err)
		}
		return cmp.Or(u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name), nil
	})}
}

// options returns the text tables' options for msgs: the names of the
// Slack users their tables mention, as far as Slack answered; a user it
// did not answer for is written as the mention's label, as before.
func (n *userNames) options(ctx context.Context, msgs ...bot.Message) report.Options {
	ids := map[string]bool{}
	for _, m := range msgs {
		for _, t := range m.Tables {
			for _, row := range t.Rows {
				for _, cell := range row {
					for _, part := range bot.SplitMentions(cell) {
						if mt := part.Mention; mt != nil && (mt.Platform == "" || mt.Platform == Name) && mt.UserID != "" {
							ids[mt.UserID] = true
						}
					}
				}
			}
		}
	}
	if len(ids) == 0 {
		return report.Options{}
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		names = map[string]string{}
		slots = make(chan struct{}, maxNameLookups)
	)
	for id := range ids {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			if name, err := n.cache.Get(ctx, id); err == nil && name != "" {
				mu.Lock()
				names[id] = name
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return report.Options{Names: func(platform, userID string) (string, bool) {
		if platform != "" && platform != Name {
			return "", false
		}
		name, ok := names[userID]
		return name, ok
	}}
}
