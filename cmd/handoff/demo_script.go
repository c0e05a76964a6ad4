// The demo's script, as data: the agreement, the stand-in workspace and its
// people, the week's 25 SQLs and what the reps do with them. demo.go plays
// it against the real server.

package main

// demoAgreement is the agreement of handoff.example.yml, less its holidays,
// so that every week the demo replays has five working days.
const demoAgreement = `timezone: Europe/Copenhagen
sla:
  claim_within: 2h
  contact_within: 48h
  business_hours:
    days: [mon, tue, wed, thu, fri]
    start: "08:00"
    end: "17:00"
  remind_before: [12h, 1h]
  release_on_breach: false
  targets:
    sqls_per_month: 20
    customers_per_month: 5
    avg_deal_size: 40000
    currency: DKK
digest:
  schedule: "0 8 * * MON"
`

// The demo's stand-in workspace.
const (
	demoAPIToken = "demo-api-token"
	demoBotToken = "xoxb-demo"
	demoSecret   = "demo-signing-secret"
	demoSales    = "CSALES"
	demoManagers = "CMANAGERS"
	demoAskedIn  = "CMARKETING"
)

// demoChannelNames are the names the demo shows for its channel ids.
var demoChannelNames = map[string]string{demoSales: "#sales-leads", demoManagers: "#sales-managers", demoAskedIn: "#marketing"}

type demoPerson struct{ Name, ID string }

var (
	demoReps     = []demoPerson{{"Mette", "UMETTE"}, {"Jonas", "UJONAS"}, {"Sofie", "USOFIE"}, {"Anders", "UANDERS"}}
	demoManager  = demoPerson{"Louise", "ULOUISE"} // sales manager
	demoMarketer = demoPerson{"Ida", "UIDA"}       // marketing, asks /funnel
)

// demoLead is an SQL arriving from marketing automation on day (0 = the
// Monday of the week) at the local time at.
type demoLead struct {
	day                                         int
	at                                          string
	key, company, name, title, source, campaign string
	score                                       int
}

// Actions of the demo script.
const (
	actClaim       = "claim"
	actRace        = "race" // rep and rival click Claim at the same moment
	actContact     = "contact"
	actOpportunity = "opportunity"
	actWon         = "won"
	actLost        = "lost"
	actRecycle     = "recycle"
	actNotAFit     = "not-a-fit"
	actWait        = "wait" // only time passes; reason is the narration
)

// demoStep is one thing a person does at day/at. An empty rep is the
// lead's owner at that moment.
type demoStep struct {
	day    int
	at     string
	act    string
	lead   string
	rep    string
	rival  string
	amount int // actWon: the deal value in DKK
	reason string
}

// demoScript is the week: 25 SQLs from Danish B2B companies and what four
// reps do with them. One lead is raced for, one is returned as not a fit,
// one is recycled after contact, one is lost, five are won, one is never
// claimed and one is claimed but never contacted, so the SLA clock
// escalates both.
func demoScript() ([]demoLead, []demoStep) {
	leads := []demoLead{
		{0, "08:12", "hs-4101", "Nordlys Energi A/S", "Camilla Holm", "IT-chef", "web", "Pricing page", 86},
		{0, "09:15", "hs-4102", "Havnens Logistik A/S", "Line Mortensen", "Driftsdirektør", "webinar", "Webinar: Lager 4.0", 74},
		{0, "10:40", "hs-4103", "Fjordbyg ApS", "Rasmus Kjær", "CFO", "linkedin", "CFO-kampagne Q4", 78},
		{0, "11:55", "hs-4104", "Søndergaard Møbler A/S", "Peter Søndergaard", "Adm. direktør", "partner", "Partner: Dataløsninger", 81},
		{0, "14:20", "hs-4105", "Aarhus Revision P/S", "Hanne Lund", "Partner", "linkedin", "ABM: Revision", 69},
		{0, "16:05", "hs-4106", "Lyngby Software ApS", "Thomas Bang", "IT-chef", "web", "Demo request", 92},
		{1, "08:30", "hs-4107", "GreenTech Solutions ApS", "Jakob Friis", "CTO", "web", "Whitepaper: CO2-regnskab", 77},
		{1, "09:40", "hs-4108", "Dansk Fødevarehandel A/S", "Karina Bech", "Indkøbschef", "partner", "Partner: Dataløsninger", 71},
		{1, "10:25", "hs-4109", "Kolding Maskinfabrik A/S", "Henrik Thomsen", "Værkfører", "webinar", "Webinar: Lager 4.0", 58},
		{1, "13:05", "hs-4110", "Copenhagen Medtech ApS", "Sara Nielsen", "COO", "linkedin", "ABM: Life science", 84},
		{1, "15:30", "hs-4111", "Vejle Transport A/S", "Michael Juhl", "CFO", "web", "Pricing page", 79},
		{2, "08:20", "hs-4112", "Roskilde Klinikken ApS", "Dorthe Krogh", "Klinikchef", "web", "Demo request", 73},
		{2, "09:10", "hs-4113", "Nordic Solar Partners A/S", "Emil Dahl", "Salgsdirektør", "linkedin", "ABM: Energi", 88},
		{2, "11:45", "hs-4114", "Tønder Tekstil ApS", "Birgitte Hansen", "Økonomichef", "webinar", "Webinar: Fakturaflow", 64},
		{2, "13:30", "hs-4115", "Odense Robotics Hub A/S", "Frederik Lassen", "CTO", "partner", "Partner: Robotklyngen", 90},
		{2, "15:50", "hs-4116", "Hvidovre Ejendomme A/S", "Jens Poulsen", "Ejendomschef", "web", "Whitepaper: CO2-regnskab", 70},
		{3, "08:15", "hs-4117", "Skagen Fisk Export ApS", "Anne Skov", "Eksportchef", "linkedin", "ABM: Fødevarer", 75},
		{3, "09:30", "hs-4118", "Herning Byggemarked A/S", "Lars Iversen", "CIO", "web", "Pricing page", 83},
		{3, "11:20", "hs-4119", "Esbjerg Offshore Service A/S", "Morten Winther", "Indkøbschef", "partner", "Partner: Dataløsninger", 76},
		{3, "14:10", "hs-4120", "Silkeborg Data ApS", "Julie Mikkelsen", "IT-chef", "webinar", "Webinar: Fakturaflow", 80},
		{4, "08:45", "hs-4121", "Randers Regnskab ApS", "Ole Kristensen", "CFO", "linkedin", "CFO-kampagne Q4", 72},
		{4, "10:00", "hs-4122", "Bornholm Keramik ApS", "Signe Kofoed", "Indehaver", "web", "Nyhedsbrev", 61},
		{4, "11:10", "hs-4123", "Aalborg Akustik A/S", "Maria Brandt", "Marketingchef", "webinar", "Webinar: Fakturaflow", 68},
		{4, "13:40", "hs-4124", "Helsingør Hotel Group A/S", "Nikolaj Vinther", "Direktør", "partner", "Partner: HORESTA-netværk", 79},
		{4, "15:15", "hs-4125", "Horsens Plast A/S", "Kasper Holst", "Fabrikschef", "web", "Demo request", 85},
	}
	steps := []demoStep{
		{day: 0, at: "08:31", act: actClaim, lead: "hs-4101", rep: "Mette"},
		{day: 0, at: "09:48", act: actClaim, lead: "hs-4102", rep: "Anders"}, // and never contacted
		{day: 0, at: "10:05", act: actContact, lead: "hs-4101"},
		{day: 0, at: "11:02", act: actClaim, lead: "hs-4103", rep: "Jonas"},
		{day: 0, at: "12:20", act: actClaim, lead: "hs-4104", rep: "Sofie"},
		{day: 0, at: "13:30", act: actContact, lead: "hs-4103"},
		{day: 0, at: "14:41", act: actClaim, lead: "hs-4105", rep: "Mette"},
		{day: 0, at: "14:45", act: actContact, lead: "hs-4104"},
		{day: 0, at: "16:07", act: actRace, lead: "hs-4106", rep: "Mette", rival: "Jonas"},

		{day: 1, at: "08:45", act: actContact, lead: "hs-4106"},
		{day: 1, at: "08:52", act: actClaim, lead: "hs-4107", rep: "Sofie"},
		{day: 1, at: "09:10", act: actContact, lead: "hs-4105"},
		{day: 1, at: "10:00", act: actOpportunity, lead: "hs-4103"},
		{day: 1, at: "10:15", act: actClaim, lead: "hs-4108", rep: "Anders"},
		{day: 1, at: "11:00", act: actNotAFit, lead: "hs-4109", rep: "Jonas", reason: "Three-person workshop, far below our segment; no IT budget."},
		{day: 1, at: "11:15", act: actContact, lead: "hs-4107"},
		{day: 1, at: "13:00", act: actOpportunity, lead: "hs-4106"},
		{day: 1, at: "13:20", act: actClaim, lead: "hs-4110", rep: "Mette"},
		{day: 1, at: "13:40", act: actContact, lead: "hs-4108"},
		{day: 1, at: "15:10", act: actContact, lead: "hs-4110"},
		{day: 1, at: "15:44", act: actClaim, lead: "hs-4111", rep: "Jonas"},
		{day: 1, at: "15:50", act: actContact, lead: "hs-4111", rep: "Sofie"}, // not hers: refused privately

		{day: 2, at: "08:35", act: actClaim, lead: "hs-4112", rep: "Anders"},
		{day: 2, at: "09:00", act: actContact, lead: "hs-4111"},
		{day: 2, at: "09:14", act: actClaim, lead: "hs-4113", rep: "Sofie"},
		{day: 2, at: "10:00", act: actOpportunity, lead: "hs-4108"},
		{day: 2, at: "10:20", act: actContact, lead: "hs-4112"},
		{day: 2, at: "11:00", act: actOpportunity, lead: "hs-4101"},
		{day: 2, at: "11:30", act: actContact, lead: "hs-4113"},
		{day: 2, at: "12:30", act: actClaim, lead: "hs-4114", rep: "Mette"},
		{day: 2, at: "13:33", act: actClaim, lead: "hs-4115", rep: "Jonas"},
		{day: 2, at: "14:00", act: actContact, lead: "hs-4114"},
		{day: 2, at: "15:20", act: actContact, lead: "hs-4115"},
		{day: 2, at: "16:10", act: actClaim, lead: "hs-4116", rep: "Anders"},

		{day: 3, at: "08:40", act: actClaim, lead: "hs-4117", rep: "Sofie"},
		{day: 3, at: "09:00", act: actContact, lead: "hs-4116"},
		{day: 3, at: "09:30", act: actWon, lead: "hs-4106", amount: 62500},
		{day: 3, at: "09:50", act: actClaim, lead: "hs-4118", rep: "Mette"},
		{day: 3, at: "10:00", act: actLost, lead: "hs-4104", reason: "Chose a competitor on price."},
		{day: 3, at: "10:30", act: actContact, lead: "hs-4117"},
		{day: 3, at: "11:00", act: actOpportunity, lead: "hs-4115"},
		{day: 3, at: "11:10", act: actContact, lead: "hs-4118"},
		{day: 3, at: "11:35", act: actClaim, lead: "hs-4119", rep: "Jonas"},
		{day: 3, at: "13:00", act: actRecycle, lead: "hs-4112", reason: "No budget before Q3; nurture and hand back in May."},
		{day: 3, at: "14:15", act: actContact, lead: "hs-4119"},
		{day: 3, at: "14:25", act: actClaim, lead: "hs-4120", rep: "Anders"},
		{day: 3, at: "14:30", act: actWon, lead: "hs-4101", amount: 48000},
		{day: 3, at: "15:00", act: actOpportunity, lead: "hs-4113"},
		{day: 3, at: "16:00", act: actContact, lead: "hs-4120"},

		{day: 4, at: "09:05", act: actClaim, lead: "hs-4121", rep: "Sofie"},
		{day: 4, at: "10:00", act: actOpportunity, lead: "hs-4118"},
		{day: 4, at: "10:40", act: actContact, lead: "hs-4121"},
		{day: 4, at: "11:25", act: actClaim, lead: "hs-4123", rep: "Mette"},
		{day: 4, at: "11:30", act: actWon, lead: "hs-4103", amount: 125000},
		{day: 4, at: "13:20", act: actContact, lead: "hs-4123"},
		{day: 4, at: "13:55", act: actClaim, lead: "hs-4124", rep: "Jonas"},
		{day: 4, at: "14:00", act: actWon, lead: "hs-4110", amount: 39900},
		{day: 4, at: "15:30", act: actClaim, lead: "hs-4125", rep: "Anders"},
		{day: 4, at: "15:40", act: actWon, lead: "hs-4115", amount: 57000},
		{day: 4, at: "15:45", act: actContact, lead: "hs-4124"},
		{day: 4, at: "16:40", act: actContact, lead: "hs-4125"},

		{day: 4, at: "17:00", act: actWait, reason: "The office closes; the SLA clock stands still over the weekend."},
		{day: 7, at: "12:30", act: actWait, reason: "Monday lunchtime: the demo stops the clock."},
	}
	return leads, steps
}
