package bot_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/handoff/handoff/bot"
)

// placer is a platform that names a configured channel's places (as Teams
// does by its stored conversation and team ids), or cannot.
type placer struct {
	bot.Platform
	named []string
	err   error
}

func (p placer) Places(context.Context, string) ([]string, error) { return p.named, p.err }

// TestPlacesOf: a channel's places are its setting and, on a platform that
// names them, the platform's names, sorted and each once; when the platform
// cannot tell, the setting comes with the error.
func TestPlacesOf(t *testing.T) {
	cannot := errors.New("team not installed")
	for _, tc := range []struct {
		name     string
		platform bot.Platform
		channel  string
		want     []string
		wantErr  error
	}{
		{"no placer", nil, "CSALES", []string{"CSALES"}, nil},
		{"named by name", placer{named: []string{"19:sales@thread.tacv2", "19:team@thread.tacv2"}}, "Sales Team/Sales",
			[]string{"19:sales@thread.tacv2", "19:team@thread.tacv2", "Sales Team/Sales"}, nil},
		{"named by id", placer{named: []string{"19:sales@thread.tacv2", "19:team@thread.tacv2"}}, "19:sales@thread.tacv2",
			[]string{"19:sales@thread.tacv2", "19:team@thread.tacv2"}, nil},
		{"cannot tell", placer{named: []string{"ignored"}, err: cannot}, "Sales", []string{"Sales"}, cannot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bot.PlacesOf(context.Background(), tc.platform, tc.channel)
			if !slices.Equal(got, tc.want) || !errors.Is(err, tc.wantErr) {
				t.Fatalf("PlacesOf(%q) = %q, %v; want %q, %v", tc.channel, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
