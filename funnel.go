package handoff

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// FunnelFilter says which funnel to compute: the period, optionally narrowed
// to one lead source or one owner, as seen at Now (which decides whether an
// SLA deadline in the period is still pending).
type FunnelFilter struct {
	Period Period
	Source string // leads.source; "" means every source
	Owner  string // the owner's platform user id or email; "" means everyone
	Now    time.Time
}

// FunnelCounts are the raw aggregates the store computes for a FunnelFilter;
// NewFunnel turns them into the Funnel everybody sees.
type FunnelCounts struct {
	// Leads entering each stage during the period, each lead counted once
	// per stage, implied stages included.
	Leads, MQLs, SQLs, Claimed, Contacted, Opportunities, Won, Lost, Recycled int64
	// RevenueMinor is the summed deal value of the Won leads, in minor units.
	RevenueMinor int64
	// Medians in milliseconds; nil when nothing was measured.
	MedianClaimMs      *float64 // SQL → claim, for the SQL cycles claimed in the period (a lead's earlier ones too)
	MedianContactMs    *float64 // SQL → first contact, for the SQL cycles contacted in the period
	MedianFirstOrderMs *float64 // first touch → won, for leads won in the period
	// SLA outcome of the SQLs settled in the period, and the pending SQLs
	// of the period (see SettleSLA).
	SLADue, SLAMet, SLABreached, SLAPending int64
	// Visits is the website traffic recorded for the period, nil when none was.
	Visits *int64
	// Marketing's side: per source and campaign (revenue in minor units,
	// converted by NewFunnel), speed to lead by bucket (counts only), and
	// the medians of the system's and the rep's part of the wait for a
	// claim, in milliseconds.
	ByCampaign          []CampaignCounts
	SpeedToLead         map[string]SpeedToLead
	MedianSystemDelayMs *float64
	MedianRepDelayMs    *float64
	// Routing is round-robin routing in the period, team-wide (not
	// filtered by source or owner); empty without a routed event.
	Routing RoutingStats
}

// CampaignCounts are the store's raw numbers for one source and campaign;
// NewFunnel turns them into a CampaignResult.
type CampaignCounts struct {
	Source, Campaign                      string
	SQLs, Claimed, NotAFit, Recycled, Won int64
	RevenueMinor                          int64
	TopReasons                            []ReasonCount
}

// Funnel is the answer to "what did our leads become?" for one period: the
// numbers marketing and sales are both measured on, with one definition
// everywhere (API, chat, terminal). Counts are leads that entered a stage
// during the period; a rate, median or average with nothing to divide by
// is null in JSON, never NaN.
type Funnel struct {
	Period   Period `json:"period"`
	Source   string `json:"source,omitempty"`
	Owner    string `json:"owner,omitempty"`
	Currency string `json:"currency"`

	// Visits and VisitToLead appear only when website traffic is known.
	Visits      *int64   `json:"visits,omitempty"`
	VisitToLead *float64 `json:"visit_to_lead,omitempty"`

	Leads         int64 `json:"leads"`
	MQLs          int64 `json:"mqls"`
	SQLs          int64 `json:"sqls"`
	Claimed       int64 `json:"claimed"`
	Contacted     int64 `json:"contacted"`
	Opportunities int64 `json:"opportunities"`
	Won           int64 `json:"won"`
	Lost          int64 `json:"lost"`
	Recycled      int64 `json:"recycled"`

	// Revenue is the summed deal value of the won leads, in major units of
	// Currency; AvgDealSize is Revenue / Won.
	Revenue     float64  `json:"revenue"`
	AvgDealSize *float64 `json:"avg_deal_size"`

	Conversion

	// MedianSecondsToClaim and MedianSecondsToContact measure from the
	// moment a lead became an SQL, over the SQLs claimed (contacted) in the
	// period; stages only implied by a later one are left out.
	MedianSecondsToClaim   *float64 `json:"median_seconds_to_claim"`
	MedianSecondsToContact *float64 `json:"median_seconds_to_contact"`
	// TimeToFirstOrder is the median number of seconds from a lead's first
	// touch (its first recorded stage) to being won, over leads won in the period.
	TimeToFirstOrder *float64 `json:"time_to_first_order"`

	SLA     SLAStats      `json:"sla"`
	Targets FunnelTargets `json:"targets"`

	// Routing appears only when round-robin routing produced events in the
	// period (see FunnelRouting).
	Routing *FunnelRouting `json:"routing,omitempty"`

	// ByCampaign is what each source and campaign's SQLs became in the
	// period, most SQLs first; SpeedToLead the conversion of the leads
	// first contacted in the period by how fast that was; Delays whose part
	// of the wait for a claim was the system's and whose the rep's.
	ByCampaign  []CampaignResult `json:"by_campaign"`
	SpeedToLead []SpeedToLead    `json:"speed_to_lead"`
	Delays      Delays           `json:"delays"`
}

// Conversion holds the rates between consecutive stages: the number
// entering the later stage in the period over the number entering the
// earlier one. Because both are counted within the period (not per cohort)
// a rate can exceed 1. A rate is nil when its denominator is zero.
type Conversion struct {
	LeadToMQL              *float64 `json:"lead_to_mql"`
	MQLToSQL               *float64 `json:"mql_to_sql"`
	SQLToClaimed           *float64 `json:"sql_to_claimed"`
	ClaimedToContacted     *float64 `json:"claimed_to_contacted"`
	ContactedToOpportunity *float64 `json:"contacted_to_opportunity"`
	OpportunityToWon       *float64 `json:"opportunity_to_won"`
	SQLToWon               *float64 `json:"sql_to_won"`
}

// SLAStats is how sales kept the contact promise over a period, by the one
// definition (SettleSLA, SLAComplianceDefinition): Met were contacted by
// the deadline, the contact in the period; Breached had their deadline
// pass in the period without contact in time; Pending became SQLs in the
// period and are not settled yet. Due is their sum. Compliance is
// Met / (Met + Breached), nil when nothing is settled.
type SLAStats struct {
	Due        int64    `json:"due"`
	Met        int64    `json:"met"`
	Breached   int64    `json:"breached"`
	Pending    int64    `json:"pending"`
	Compliance *float64 `json:"compliance"`
}

// FunnelTargets sets the agreement's monthly promises, scaled to the
// period, beside the actuals. An entry is omitted when the agreement has no
// such target, and all are omitted for a funnel narrowed to a source or an
// owner, since the promises are made for the whole company.
type FunnelTargets struct {
	SQLs        *TargetActual `json:"sqls,omitempty"`          // marketing: SQLs delivered
	Customers   *TargetActual `json:"customers,omitempty"`     // sales: customers won
	AvgDealSize *TargetActual `json:"avg_deal_size,omitempty"` // sales: average deal size
}

// TargetActual compares one promise with what happened. For counts, Target
// is the monthly target times the months the period covers (pro rata, so a
// week gets about a quarter of a month's target) and Expected is the share
// of it due by now: equal to Target for a past period, smaller while the
// period runs. OnTrack says Actual has reached Expected. For the average
// deal size Target and Expected are the agreed average, and Actual is nil
// until something is won.
type TargetActual struct {
	Target   float64  `json:"target"`
	Expected float64  `json:"expected"`
	Actual   *float64 `json:"actual"`
	OnTrack  bool     `json:"on_track"`
}

// NewFunnel computes the funnel for f from the store's counts c under the
// agreement p: rates, averages, medians in seconds and targets. It is pure.
func NewFunnel(f FunnelFilter, c FunnelCounts, p Policy) Funnel {
	currency := p.Targets.Currency
	if currency == "" {
		currency = DefaultCurrency
	}
	out := Funnel{
		Period: f.Period, Source: f.Source, Owner: f.Owner, Currency: currency,
		Leads: c.Leads, MQLs: c.MQLs, SQLs: c.SQLs, Claimed: c.Claimed, Contacted: c.Contacted,
		Opportunities: c.Opportunities, Won: c.Won, Lost: c.Lost, Recycled: c.Recycled,
		Revenue: float64(c.RevenueMinor) / 100,
		Conversion: Conversion{
			LeadToMQL:              Rate(c.MQLs, c.Leads),
			MQLToSQL:               Rate(c.SQLs, c.MQLs),
			SQLToClaimed:           Rate(c.Claimed, c.SQLs),
			ClaimedToContacted:     Rate(c.Contacted, c.Claimed),
			ContactedToOpportunity: Rate(c.Opportunities, c.Contacted),
			OpportunityToWon:       Rate(c.Won, c.Opportunities),
			SQLToWon:               Rate(c.Won, c.SQLs),
		},
		MedianSecondsToClaim:   msToSeconds(c.MedianClaimMs),
		MedianSecondsToContact: msToSeconds(c.MedianContactMs),
		TimeToFirstOrder:       msToSeconds(c.MedianFirstOrderMs),
		SLA: SLAStats{Due: c.SLADue, Met: c.SLAMet, Breached: c.SLABreached, Pending: c.SLAPending,
			Compliance: Rate(c.SLAMet, c.SLAMet+c.SLABreached)},
	}
	out.ByCampaign = make([]CampaignResult, len(c.ByCampaign))
	for i, cc := range c.ByCampaign {
		reasons := cc.TopReasons
		if reasons == nil {
			reasons = []ReasonCount{}
		}
		out.ByCampaign[i] = CampaignResult{Source: cc.Source, Campaign: cc.Campaign, SQLs: cc.SQLs, Claimed: cc.Claimed,
			NotAFit: cc.NotAFit, Recycled: cc.Recycled, Won: cc.Won, Revenue: float64(cc.RevenueMinor) / 100, TopReasons: reasons}
	}
	out.SpeedToLead = NewSpeedToLead(c.SpeedToLead)
	out.Delays = Delays{MedianSystemSeconds: msToSeconds(c.MedianSystemDelayMs), MedianRepSeconds: msToSeconds(c.MedianRepDelayMs)}
	if c.Visits != nil {
		v := *c.Visits
		out.Visits = &v
		out.VisitToLead = Rate(c.Leads, v)
	}
	if c.Won > 0 {
		avg := roundTo(float64(c.RevenueMinor)/100/float64(c.Won), 2)
		out.AvgDealSize = &avg
	}
	if f.Source == "" && f.Owner == "" {
		out.Targets = funnelTargets(f, out, p.Targets)
	}
	out.Routing = NewFunnelRouting(c.Routing)
	return out
}

func funnelTargets(f FunnelFilter, fu Funnel, t Targets) FunnelTargets {
	months := f.Period.Months()
	elapsed := f.Period.Elapsed(f.Now).Months()
	count := func(perMonth int, actual int64) *TargetActual {
		if perMonth <= 0 {
			return nil
		}
		a := float64(actual)
		expected := roundTo(float64(perMonth)*elapsed, 2)
		return &TargetActual{
			Target:   roundTo(float64(perMonth)*months, 2),
			Expected: expected,
			Actual:   &a,
			OnTrack:  a >= expected,
		}
	}
	out := FunnelTargets{
		SQLs:      count(t.SQLsPerMonth, fu.SQLs),
		Customers: count(t.CustomersPerMonth, fu.Won),
	}
	if t.AvgDealSize > 0 {
		out.AvgDealSize = &TargetActual{Target: t.AvgDealSize, Expected: t.AvgDealSize, Actual: fu.AvgDealSize,
			OnTrack: fu.AvgDealSize != nil && *fu.AvgDealSize >= t.AvgDealSize}
	}
	return out
}

// Rate returns num / den rounded to four decimals, or nil when den is zero
// (or negative), so that an empty period never yields NaN or Inf.
func Rate(num, den int64) *float64 {
	if den <= 0 {
		return nil
	}
	r := roundTo(float64(num)/float64(den), 4)
	return &r
}

func msToSeconds(ms *float64) *float64 {
	if ms == nil || math.IsNaN(*ms) || math.IsInf(*ms, 0) {
		return nil
	}
	s := roundTo(*ms/1000, 3)
	return &s
}

func roundTo(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

// TrafficDay is the number of website visits from one source on one local
// date in the agreement's time zone. Recording the same date and source
// again replaces the count.
type TrafficDay struct {
	Date   string `json:"date"`   // YYYY-MM-DD
	Source string `json:"source"` // "" when the visits are not broken down by source
	Visits int64  `json:"visits"`
}

// TrafficDateLayout is the layout of TrafficDay.Date.
const TrafficDateLayout = "2006-01-02"

// maxVisits bounds a day's visits, to catch unit mistakes.
const maxVisits = 1_000_000_000_000

// ParseTrafficDay validates a decoded JSON object {"date", "visits",
// "source"} and returns the day, or an EINVALID error whose Fields name every
// bad field.
func ParseTrafficDay(raw map[string]any) (TrafficDay, error) {
	var t TrafficDay
	bad := map[string]string{}
	switch v := raw["date"].(type) {
	case nil:
		bad["date"] = "required"
	case string:
		d, err := time.Parse(TrafficDateLayout, strings.TrimSpace(v))
		if err != nil {
			bad["date"] = fmt.Sprintf("not a YYYY-MM-DD date: %q", v)
		} else {
			t.Date = d.Format(TrafficDateLayout)
		}
	default:
		bad["date"] = "must be a string"
	}
	if v, ok := raw["visits"]; !ok || v == nil {
		bad["visits"] = "required"
	} else if n, err := wholeNumber(v); err != nil {
		bad["visits"] = "must be an integer"
	} else if n < 0 || n > maxVisits {
		bad["visits"] = fmt.Sprintf("must be between 0 and %d", int64(maxVisits))
	} else {
		t.Visits = n
	}
	switch v := raw["source"].(type) {
	case nil:
	case string:
		t.Source = strings.TrimSpace(v)
		if p := CheckText(t.Source, MaxFieldLen); p != "" {
			bad["source"] = p
		}
	default:
		bad["source"] = "must be a string"
	}
	for k := range raw {
		if k != "date" && k != "visits" && k != "source" {
			bad[k] = "unknown field"
		}
	}
	if len(bad) > 0 {
		return TrafficDay{}, &Error{Code: EINVALID, Message: "invalid traffic: " + describeFields(bad), Fields: bad}
	}
	return t, nil
}
