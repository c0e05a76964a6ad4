package hubspot_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// ignoredStale reads handoff_crm_events_ignored_total{crm="hubspot",
// reason="stale"} from m's /metrics: "0" while the series is not there.
func ignoredStale(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	const series = `handoff_crm_events_ignored_total{crm="hubspot",reason="stale"} `
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series); ok {
			return v
		}
	}
	return "0"
}

// A contact.propertyChange older than the state Handoff stored of the
// contact (a retry, a delivery out of order) is acknowledged and left
// alone, and counted in handoff_crm_events_ignored_total with
// reason="stale", as a stale Salesforce notification is: the handler
// tells its Ignored func, which cmd/handoff points at the metric.
func TestHubSpotStaleEventCountedInMetrics(t *testing.T) {
	older, newer := now.Add(-2*time.Hour), now.Add(-time.Hour)
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		m := metrics.New(nil)
		srv := newServerOf(t, s, hubspot.Handler{Ignored: func(reason string) { m.CRMIgnored("hubspot", reason) }})
		post := func(step, body string) map[string]any {
			t.Helper()
			status, ans := send(t, srv, "/hooks/hubspot", body, "", now, secret)
			if status != 200 {
				t.Fatalf("%s: %d %v", step, status, ans)
			}
			return ans
		}
		post("contact", fmt.Sprintf(`{"hs_object_id": 701, "email": "stale@x.dk", "lifecyclestage": "marketingqualifiedlead", "hs_lastmodifieddate": %d}`,
			older.Add(-time.Hour).UnixMilli()))
		post("newer change", propertyChange(701, "lifecyclestage", "salesqualifiedlead", newer))
		if got := ignoredStale(t, m); got != "0" {
			t.Errorf("after the newer change: %s stale, want 0", got)
		}
		ans := post("older change", propertyChange(701, "lifecyclestage", "marketingqualifiedlead", older))
		if leads, _ := ans["leads"].([]any); len(leads) != 1 || leads[0].(map[string]any)["stale"] != true {
			t.Errorf("older change answered %v, want it stale", ans)
		}
		if got := ignoredStale(t, m); got != "1" {
			t.Errorf(`handoff_crm_events_ignored_total{crm="hubspot",reason="stale"} = %s after the older change, want 1`, got)
		}
	})
}
