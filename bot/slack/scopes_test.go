package slack_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// manifest is the part of manifest.yml these tests read.
type manifest struct {
	OAuth struct {
		Scopes struct {
			Bot         []string `yaml:"bot"`
			BotOptional []string `yaml:"bot_optional"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			Bot []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
	} `yaml:"settings"`
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	raw, err := os.ReadFile("../../manifest.yml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// webAPIScopes are the bot scopes each slack-go call in this package needs
// (Slack's method documentation); nil for none. A call missing here fails
// TestManifestAsksForTheScopesUsed until its scopes are written down.
var webAPIScopes = map[string][]string{
	"PostMessageContext":            {"chat:write"},                                       // chat.postMessage: cards, escalations, DMs
	"UpdateMessageContext":          {"chat:write"},                                       // chat.update: cards
	"GetPermalinkContext":           nil,                                                  // chat.getPermalink: an earlier card's link to the new card (no scope)
	"PostEphemeralContext":          {"chat:write"},                                       // chat.postEphemeral: private notices in a channel
	"OpenConversationContext":       {"im:write"},                                         // conversations.open: the owner's DM
	"GetUserInfoContext":            {"users:read", "users:read.email"},                   // users.info with the email
	"GetUserGroupMembersContext":    {"usergroups:read"},                                  // usergroups.users.list: SLACK_MANAGER_GROUP
	"AuthTestContext":               nil,                                                  // auth.test: the bot token's workspace
	"GetUsersInConversationContext": {"channels:read", "groups:read"},                     // conversations.members: who may see leads (a public or private sales channel)
	"GetConversationHistoryContext": {"channels:history", "groups:history", "im:history"}, // conversations.history: the post of an earlier attempt (KeyedPosts)
	"OpenViewContext":               nil,                                                  // views.open: forms
	"PublishViewContext":            nil,                                                  // views.publish: the Home tab
	"SendMessageContext":            nil,                                                  // only to a response_url
	"PostWebhookCustomHTTPContext":  nil,                                                  // a response_url, in Socket Mode
	"RunContext":                    nil,                                                  // Socket Mode: the app-level token's connections:write
}

// optionalScopes are the scopes the code does without when they are not
// granted (it degrades, and says so in a warning): the manifest asks for
// them under bot_optional, the rest under bot.
var optionalScopes = map[string]bool{"channels:history": true, "groups:history": true, "im:history": true}

// slackCall matches a call on the slack-go client (p.api, m.api), the
// Socket Mode client (s.client) or the slack-go package itself.
var slackCall = regexp.MustCompile(`(?:\bapi|\bclient|\bslackapi)\.([A-Z]\w*)\(`)

// TestManifestAsksForTheScopesUsed reads every slack-go call in this
// package's code and manifest.yml's bot scopes: the manifest must ask for
// exactly the scopes those calls need, plus commands for the slash
// commands, and no more (no chat:write.public: the bot is invited), the
// optional ones (optionalScopes) as bot_optional.
func TestManifestAsksForTheScopesUsed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	need := map[string]bool{"commands": true}
	called := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range slackCall.FindAllStringSubmatch(string(src), -1) {
			name := m[1]
			if !strings.HasSuffix(name, "Context") || strings.HasPrefix(name, "New") {
				continue // constructors and block builders call no API
			}
			scopes, ok := webAPIScopes[name]
			if !ok {
				t.Errorf("%s calls %s, whose scopes are not in webAPIScopes", f, name)
			}
			called[name] = true
			for _, s := range scopes {
				need[s] = true
			}
		}
	}
	if len(called) < 5 {
		t.Fatalf("found only %v: the scan is broken", called)
	}
	m := readManifest(t)
	var want, wantOptional []string
	for s := range need {
		if optionalScopes[s] {
			wantOptional = append(wantOptional, s)
		} else {
			want = append(want, s)
		}
	}
	for _, c := range []struct {
		field     string
		got, want []string
	}{{"bot", m.OAuth.Scopes.Bot, want}, {"bot_optional", m.OAuth.Scopes.BotOptional, wantOptional}} {
		got := slices.Clone(c.got)
		sort.Strings(got)
		sort.Strings(c.want)
		if !slices.Equal(got, c.want) {
			t.Errorf("manifest.yml asks for the %s scopes %v; the code needs %v", c.field, got, c.want)
		}
	}
}

// eventScopes are the bot scopes Slack requires before it sends each event
// (Slack's event documentation); nil for none.
var eventScopes = map[string][]string{
	"app_home_opened":         nil,
	"user_change":             {"users:read"},
	"member_joined_channel":   {"channels:read", "groups:read"}, // groups:read for a private channel
	"member_left_channel":     {"channels:read", "groups:read"},
	"channel_archive":         {"channels:read"},
	"channel_unarchive":       {"channels:read"},
	"group_archive":           {"groups:read"},
	"group_unarchive":         {"groups:read"},
	"subteam_members_changed": {"usergroups:read"},
	"app_uninstalled":         nil,
	"tokens_revoked":          nil,
}

// TestManifestSubscribesToTheEventsHandled: the events event.go's callback
// handles by name are exactly manifest.yml's bot events (an event handled
// but not subscribed to never arrives), and the manifest asks for the
// scopes each needs.
func TestManifestSubscribesToTheEventsHandled(t *testing.T) {
	src, err := os.ReadFile("event.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "func (a *App) callback(")
	if !ok {
		t.Fatal("event.go has no callback")
	}
	body, _, _ = strings.Cut(body, "\n}\n")
	var handled []string
	for _, c := range regexp.MustCompile(`(?m)^\s*case (".*"):`).FindAllStringSubmatch(body, -1) {
		for _, q := range regexp.MustCompile(`"([a-z_]+)"`).FindAllStringSubmatch(c[1], -1) {
			handled = append(handled, q[1])
		}
	}
	m := readManifest(t)
	sort.Strings(handled)
	subscribed := slices.Sorted(slices.Values(m.Settings.Events.Bot))
	if len(handled) < 4 || !slices.Equal(handled, subscribed) {
		t.Errorf("event.go handles %v; manifest.yml subscribes to %v", handled, subscribed)
	}
	for _, e := range subscribed {
		scopes, known := eventScopes[e]
		if !known {
			t.Errorf("%s: its scopes are not in eventScopes", e)
		}
		for _, s := range scopes {
			if !slices.Contains(m.OAuth.Scopes.Bot, s) {
				t.Errorf("%s needs the scope %s; manifest.yml does not ask for it", e, s)
			}
		}
	}
}
