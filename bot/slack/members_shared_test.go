package slack_test

import (
	"context"
	"testing"
	"time"

	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/cache"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Two replicas on one database: the member_left_channel of a rep removed
// from the sales channel reaches one of them. The other, which read the
// member list a moment before (kept a minute), refuses the rep within
// cache.DefaultSharedEvery too, not once its list runs out; the first
// does not read the list again for its own event.
func TestSalesChannelRemovalReachesEveryReplica(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			fake := slacktest.New("xoxb-shared")
			t.Cleanup(fake.Close)
			fake.SetMembers("CSALES", "UREP", "UOTHER")
			u := storagetest.URL(t, dialect)
			replicas := make([]*slackbot.SalesMembers, 2)
			for i := range replicas {
				replicas[i] = slackbot.NewSalesMembers(slackbot.NewClient("xoxb-shared", "", fake.APIURL(), slacktest.ClientTimeout), "CSALES", slacktest.ClientTimeout)
				replicas[i].Share(storagetest.OpenURL(t, u, storage.Options{}))
			}
			for i := range replicas {
				if !testkit.IsMember(t, replicas[i], "UREP") {
					t.Fatalf("replica %d: the rep is not a member before the event", i)
				}
			}
			reads := len(fake.Calls("conversations.members"))
			fake.SetMembers("CSALES", "UOTHER")
			if err := replicas[0].Left(ctx, "CSALES", "UREP"); err != nil {
				t.Fatal(err)
			}
			if testkit.IsMember(t, replicas[0], "UREP") {
				t.Error("the replica the event reached still lets the rep see leads")
			}
			time.Sleep(cache.DefaultSharedEvery)
			if testkit.IsMember(t, replicas[1], "UREP") {
				t.Errorf("the other replica still lets the rep removed from the sales channel see leads, %v after the event (its list is kept a minute)", cache.DefaultSharedEvery)
			}
			if !testkit.IsMember(t, replicas[0], "UOTHER") || !testkit.IsMember(t, replicas[1], "UOTHER") {
				t.Error("a member who stayed lost sight of leads")
			}
			if n := len(fake.Calls("conversations.members")) - reads; n != 1 {
				t.Errorf("the member list was read %d times after the event, want once (by the other replica)", n)
			}
		})
	}
}
