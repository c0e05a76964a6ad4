package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Two replicas recording a Teams user's first activities at once (the
// user's Entra id, their personal chat, where they wrote) and the
// conversation reference of the chat: every save succeeds, and one record
// of each holds every field one of them gave.
func TestTeamsFirstContactRecordedAtOnceByReplicas(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			u := storagetest.URL(t, dialect)
			stores := []*storage.Store{storagetest.OpenURL(t, u, storage.Options{}), storagetest.OpenURL(t, u, storage.Options{})}
			now := time.Now()
			for round := range 20 {
				id := fmt.Sprintf("29:1first-%d", round)
				saves := []handoff.TeamsUser{
					{ID: id, AADObjectID: "aad-" + id, Name: "First Contact", TenantID: "t1", ServiceURL: "https://smba.example/"},
					{ID: id, AADObjectID: "aad-" + id, TenantID: "t1", ServiceURL: "https://smba.example/", DMConversationID: "a:" + id},
					{ID: id, AADObjectID: "aad-" + id, ServiceURL: "https://smba.example/", WroteIn: "19:team@thread.tacv2"},
					{ID: id, Name: "First Contact"},
				}
				var wg sync.WaitGroup
				errs := make(chan error, 2*len(saves))
				for i, save := range saves {
					s := stores[i%2]
					wg.Add(2)
					go func() {
						defer wg.Done()
						errs <- s.SaveTeamsUser(ctx, save, now)
					}()
					go func() {
						defer wg.Done()
						errs <- s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: "a:" + id, ServiceURL: "https://smba.example/", TenantID: "t1"}, now)
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
				}
				got, err := stores[1].TeamsUser(ctx, "aad-"+id)
				if err != nil {
					t.Fatal(err)
				}
				want := handoff.TeamsUser{ID: id, AADObjectID: "aad-" + id, Name: "First Contact", TenantID: "t1", ServiceURL: "https://smba.example/",
					DMConversationID: "a:" + id, WroteIn: "19:team@thread.tacv2"}
				got.Updated = time.Time{}
				if got != want {
					t.Fatalf("round %d: user = %+v, want %+v", round, got, want)
				}
				if _, err := stores[0].TeamsConversation(ctx, "a:"+id); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
		})
	}
}
