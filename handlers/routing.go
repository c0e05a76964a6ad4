package handlers

import (
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/report"
)

// RoutingAPI serves GET /api/routing behind the bearer token (read scope):
// the same overview as /routing, as JSON.
type RoutingAPI struct {
	Store  report.RoutingStore
	Policy handoff.Policy
	Guard  *Guard
	Now    func() time.Time // clock; time.Now when nil
	Logger *slog.Logger     // slog.Default when nil
}

// Register adds GET /api/routing to mux.
func (a *RoutingAPI) Register(mux *http.ServeMux) {
	mux.Handle("GET /api/routing", a.Guard.Require(ScopeRead, a.get))
}

// routingJSON is the body of GET /api/routing.
type routingJSON struct {
	Mode              handoff.RoutingMode `json:"mode"`
	OfferForSeconds   int64               `json:"offer_for_seconds"`
	OfferRounds       int                 `json:"offer_rounds"`
	MaxOpenPerRep     int                 `json:"max_open_per_rep"`
	AccountOwnerFirst bool                `json:"account_owner_first"`
	At                time.Time           `json:"at"`
	Period            periodJSON          `json:"period"`
	Received          int                 `json:"received"`
	Reps              []repJSON           `json:"reps"`
}

type periodJSON struct {
	Label string    `json:"label"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

type repJSON struct {
	Rep         string     `json:"rep"`
	Platform    string     `json:"platform"`
	ID          string     `json:"id"`
	Weight      int        `json:"weight"`
	Available   bool       `json:"available"`
	Skip        string     `json:"skip,omitempty"`
	Until       *time.Time `json:"until,omitempty"`
	Detail      string     `json:"detail,omitempty"`
	Now         string     `json:"now"`
	OpenLeads   int        `json:"open_leads"`
	Received    int        `json:"received"`
	Share       float64    `json:"share"`
	WeightShare float64    `json:"weight_share"`
}

func (a *RoutingAPI) get(w http.ResponseWriter, r *http.Request) {
	logger := a.Logger
	if logger == nil {
		logger = slog.Default()
	}
	bad := map[string]string{}
	unknown := slices.Collect(maps.Keys(queryOf(r, bad)))
	if len(bad) > 0 || len(unknown) > 0 {
		writeError(w, r, logger, invalidQuery("invalid routing query", bad, unknown, "GET /api/routing takes none"))
		return
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	o, err := report.Routing(r.Context(), a.Store, a.Policy, now)
	if err != nil {
		writeError(w, r, logger, err)
		return
	}
	writeJSON(w, http.StatusOK, routingBody(o, a.Policy.Location))
}

func routingBody(o handoff.RoutingOverview, loc *time.Location) routingJSON {
	body := routingJSON{Mode: o.Routing.Mode, OfferForSeconds: int64(o.Routing.OfferFor / time.Second), OfferRounds: o.Routing.OfferRounds,
		MaxOpenPerRep: o.Routing.MaxOpenPerRep, AccountOwnerFirst: o.Routing.AccountOwnerFirst, At: o.At.UTC(),
		Period: periodJSON{Label: o.Period.Label, Start: o.Period.Start.UTC(), End: o.Period.End.UTC()}, Received: o.Received, Reps: []repJSON{}}
	for _, rep := range o.Reps {
		av := rep.Availability
		j := repJSON{Rep: rep.Rep.Ref.Key(), Platform: rep.Rep.Ref.Platform, ID: rep.Rep.Ref.ID, Weight: rep.Rep.Weight,
			Available: av.Available(), Skip: string(av.Skip), Detail: av.Detail, Now: av.Words(loc), OpenLeads: rep.OpenLeads,
			Received: rep.Received, Share: rep.Share, WeightShare: rep.WeightShare}
		if !av.Until.IsZero() {
			u := av.Until.UTC()
			j.Until = &u
		}
		body.Reps = append(body.Reps, j)
	}
	return body
}
