package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
)

// TestErasedLeadNamedByHandoffsID: a lead whose personal data was erased
// has no company or name left, and its external id is an anonymous hash
// ("erased-3fa2…"). LeadTitle fell back to that hash, so its cards read
// "✋ Claimed: erased-3fa2…", and the lists (/leads, /sla, the digest, the
// Home tab) and a lead's history showed it, where its refusals name it
// "lead 42 (personal data erased)". Every message that names the lead
// names it so, never by the hash, and a summary that begins with it
// begins with a capital; a lead not erased is named by its company.
func TestErasedLeadNamedByHandoffsID(t *testing.T) {
	p := copenhagen(t)
	sqlAt := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC) // Monday 12:00 in Copenhagen
	now := sqlAt.Add(time.Hour)
	owner := handoff.Owner{Platform: "slack", UserID: "U42"}
	rep := handoff.RepRef{Platform: "slack", ID: "U42"}
	const hash = "erased-3fa2c41d9b7e05a8c6d1f2e3b4a59687"
	leadIn := func(erased bool, st handoff.Stage) *handoff.Lead {
		l := sqlLead(p, sqlAt)
		l.Stage = st
		if st != handoff.StageSQL {
			l.Owner, l.ClaimedAt = owner, ptr(sqlAt.Add(10*time.Minute))
		}
		if st == handoff.StageWon {
			l.AmountMinor = 4_000_000
		}
		if erased {
			l.ExternalID, l.ErasedAt = hash, ptr(now)
			l.Name, l.Email, l.Phone, l.Company, l.Title, l.Reason = "", "", "", "", "", ""
		}
		return l
	}
	week, err := handoff.ParsePeriod("2026-W48", now, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	text := func(m bot.Message) string { return m.Summary + "\n" + report.Render(m) }
	places := []struct {
		name string
		msg  func(erased bool) bot.Message
	}{
		{"new SQL's card", func(e bool) bot.Message { return bot.LeadCard(leadIn(e, handoff.StageSQL), now, p) }},
		{"claimed card", func(e bool) bot.Message { return bot.LeadCard(leadIn(e, handoff.StageClaimed), now, p) }},
		{"contacted card", func(e bool) bot.Message { return bot.LeadCard(leadIn(e, handoff.StageContacted), now, p) }},
		{"opportunity card", func(e bool) bot.Message { return bot.LeadCard(leadIn(e, handoff.StageOpportunity), now, p) }},
		{"won card", func(e bool) bot.Message { return bot.LeadCard(leadIn(e, handoff.StageWon), now, p) }},
		{"lost card", func(e bool) bot.Message { return bot.LeadCard(leadIn(e, handoff.StageLost), now, p) }},
		{"recycled card", func(e bool) bot.Message { return bot.LeadCard(leadIn(e, handoff.StageRecycled), now, p) }},
		{"too late", func(e bool) bot.Message { return bot.Notice(bot.TooLate(leadIn(e, handoff.StageClaimed))) }},
		{"owner only", func(e bool) bot.Message {
			return bot.ErrorNotice(bot.OwnerOnly(leadIn(e, handoff.StageClaimed)))
		}},
		{"reminder", func(e bool) bot.Message { return bot.ReminderCard(leadIn(e, handoff.StageClaimed), now, p) }},
		{"escalation", func(e bool) bot.Message {
			return bot.EscalationCard(leadIn(e, handoff.StageSQL), handoff.SLANotice{Action: handoff.SLAEscalateClaim, Due: now, At: now}, now, p)
		}},
		{"card given up", func(e bool) bot.Message {
			return bot.GivenUpCard(leadIn(e, handoff.StageSQL), handoff.GivenUpNotice{Platform: "slack", Refused: true}, now, p)
		}},
		{"offer DM ended", func(e bool) bot.Message {
			l := leadIn(e, handoff.StageSQL)
			l.Offer = &handoff.Offer{State: handoff.OfferOpen, Until: now, Seq: 1,
				Tried: []handoff.TriedOffer{{Rep: rep, Ending: handoff.SkipTimedOut}}}
			return bot.OfferDM(l, rep, now, p)
		}},
		{"rep deactivated", func(e bool) bot.Message {
			return bot.DeactivatedNote(rep, false, []*handoff.Lead{leadIn(e, handoff.StageSQL)}, nil, nil, nil)
		}},
		{"/leads open", func(e bool) bot.Message {
			return report.LeadsMessage("Open leads", []*handoff.Lead{leadIn(e, handoff.StageSQL)}, true, now, p)
		}},
		{"/sla", func(e bool) bot.Message {
			open := handoff.OpenSQLs{Unclaimed: []*handoff.Lead{leadIn(e, handoff.StageSQL)}, Waiting: []*handoff.Lead{leadIn(e, handoff.StageClaimed)},
				UnclaimedTotal: 1, WaitingTotal: 1}
			return report.SLAMessage(open, nil, week, now, p)
		}},
		{"/leads breached", func(e bool) bot.Message {
			open := handoff.OpenSQLs{Breached: []*handoff.Lead{leadIn(e, handoff.StageClaimed)}, BreachedTotal: 1}
			return report.BreachedMessage(open, sqlAt.Add(72*time.Hour), p)
		}},
		{"digest", func(e bool) bot.Message {
			open := handoff.OpenSQLs{Breached: []*handoff.Lead{leadIn(e, handoff.StageClaimed)}, BreachedTotal: 1}
			f := handoff.NewFunnel(handoff.FunnelFilter{Period: week, Now: now}, handoff.FunnelCounts{}, p)
			return report.DigestMessage(f, nil, open, nil, nil, sqlAt.Add(72*time.Hour), p)
		}},
		{"/leads <id>", func(e bool) bot.Message {
			return report.HistoryMessage(leadIn(e, handoff.StageSQL), nil, now, p)
		}},
		{"/leads why", func(e bool) bot.Message { return report.WhyMessage(leadIn(e, handoff.StageSQL), nil, p) }},
		{"home", func(e bool) bot.Message {
			h := report.HomeOf("U42", week, nil, report.LeadList{Leads: []*handoff.Lead{leadIn(e, handoff.StageClaimed)}, Total: 1}, nil, now, p)
			return h.Leads[0]
		}},
	}
	for _, tt := range places {
		t.Run(tt.name, func(t *testing.T) {
			for _, erased := range []bool{false, true} {
				m := tt.msg(erased)
				got := text(m)
				switch {
				case !erased && !strings.Contains(got, "Acme A/S"):
					t.Errorf("not erased, it does not name the lead by its company:\n%s", got)
				case erased && (strings.Contains(got, "erased-") || !strings.Contains(got, "ead 7 (personal data erased)")):
					t.Errorf("erased, it does not name the lead lead 7 (personal data erased), or shows its anonymous id:\n%s", got)
				case erased && strings.HasPrefix(m.Summary, "lead "):
					t.Errorf("erased, its summary begins in lower case: %q", m.Summary)
				}
			}
		})
	}
}

// TestLeadTitle: a lead is named by its company, else its person, else
// its external id, else Handoff's id; an erased lead by Handoff's id,
// saying its data was erased, whatever is left of it. LeadRef adds
// Handoff's id to a title, and names an erased lead as LeadTitle does,
// as the domain's refusals of an erased lead name it.
func TestLeadTitle(t *testing.T) {
	erasedAt := ptr(time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC))
	for _, tt := range []struct {
		name      string
		lead      handoff.Lead
		title     string
		ref       string
		erasedRef bool // LeadRef begins the domain's refusal of a claim
	}{
		{"company", handoff.Lead{ID: 42, ExternalID: "hs-42", Company: "Acme A/S", Name: "Ann Berg"}, "Acme A/S", "*Acme A/S* (lead 42)", false},
		{"person", handoff.Lead{ID: 42, ExternalID: "hs-42", Name: "Ann Berg"}, "Ann Berg", "*Ann Berg* (lead 42)", false},
		{"external id", handoff.Lead{ID: 42, ExternalID: "hs-42"}, "hs-42", "*hs-42* (lead 42)", false},
		{"nothing", handoff.Lead{ID: 42}, "lead 42", "*lead 42* (lead 42)", false},
		{"erased", handoff.Lead{ID: 42, ExternalID: "erased-3fa2c41d9b7e05a8c6d1f2e3b4a59687", ErasedAt: erasedAt},
			"lead 42 (personal data erased)", "lead 42 (personal data erased)", true},
		{"erased, a company left", handoff.Lead{ID: 42, ExternalID: "erased-3fa2c41d9b7e05a8c6d1f2e3b4a59687", Company: "Acme A/S", ErasedAt: erasedAt},
			"lead 42 (personal data erased)", "lead 42 (personal data erased)", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.LeadTitle(&tt.lead); got != tt.title {
				t.Errorf("LeadTitle = %q, want %q", got, tt.title)
			}
			if got := bot.LeadRef(&tt.lead); got != tt.ref {
				t.Errorf("LeadRef = %q, want %q", got, tt.ref)
			}
			if tt.erasedRef {
				refusal := handoff.ErrorMessage(tt.lead.TakeUpRefused("claimed"))
				if ref := bot.LeadRef(&tt.lead); !strings.HasPrefix(strings.ToLower(refusal), ref+" ") {
					t.Errorf("the domain's refusal %q does not name the lead as LeadRef does (%q)", refusal, ref)
				}
			}
		})
	}
}
