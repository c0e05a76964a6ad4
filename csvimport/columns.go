package csvimport

import (
	"strings"
	"unicode"

	"github.com/handoff/handoff"
)

// columnAliases maps a normalised CSV header (lower case, letters and digits
// only) to a lead field. Handoff's own field names map to themselves; the
// rest are the column names of HubSpot contact exports and Salesforce lead
// exports (report labels and API names), which write them as labels or as
// internal names.
var columnAliases = map[string]string{
	"externalid": "external_id", "recordid": "external_id", "contactid": "external_id",
	"leadid": salesforceID, "id": "external_id", "hubspotid": "external_id", "hsobjectid": "external_id",
	"email": "email", "emailaddress": "email",
	"name": "name", "fullname": "name", "contactname": "name",
	"firstname": "first_name", "lastname": "last_name",
	"company": "company", "companyname": "company", "account": "company", "accountname": "company",
	"companyaccount": "company", "organization": "company",
	"title": "title", "jobtitle": "title",
	"phone": "phone", "phonenumber": "phone", "mobilephone": "phone", "mobilephonenumber": "phone",
	"source": "source", "leadsource": "source", "originalsource": "source", "latestsource": "source",
	"hsanalyticssource": "source",
	"campaign":          "campaign", "campaignname": "campaign", "firstcampaign": "campaign", "utmcampaign": "campaign",
	"score": "score", "hubspotscore": "score", "leadscore": "score",
	// Salesforce's Rating (Hot, Warm, Cold) is a judgement, not a number:
	// it is kept as the attribute "rating".
	"rating": "rating",
	"stage":  "stage", "lifecyclestage": "stage",
	"leadstatus": leadStatus, "status": leadStatus, "hsleadstatus": leadStatus,
	"amount": "amount", "dealamount": "amount", "revenue": "amount",
	"reason": "reason", "lostreason": "reason", "closedlostreason": "reason", "recycledreason": "reason",
	"occurredat": "occurred_at", "createdate": "occurred_at", "createddate": "occurred_at",
	"lastmodifieddate": "occurred_at", "becameasalesqualifiedleaddate": "occurred_at",
	"owneremail": "owner_email", "contactowneremail": "owner_email", "leadowneremail": "owner_email",
}

// salesforceID is the field of a Salesforce "Lead ID" column: the external
// id, in the 18-character form the Outbound Messages use, so that a report
// export (15 characters) and the webhook meet on one lead.
const salesforceID = "salesforce_id"

// leadStatus is the field of a CRM "Lead Status" column (HubSpot's
// hs_lead_status, Salesforce's Status). It is kept as the attribute
// "lead_status"; it sets the stage only in a row without a stage (HubSpot's
// Lifecycle Stage decides there) and only for the statuses in the
// Importer's LeadStatus table (Salesforce's, as the connector maps them).
// HubSpot's lead statuses (NEW, IN_PROGRESS, ATTEMPTED_TO_CONTACT, …)
// describe sales' work on a contact, not its stage.
const leadStatus = "lead_status"

// stageAliases maps the values of a stage column (HubSpot lifecycle stages,
// as labels or internal values, and common spellings; normalised) to
// Handoff stages.
var stageAliases = map[string]string{
	// HubSpot lifecycle stages: "Marketing Qualified Lead" and
	// "marketingqualifiedlead" normalise alike.
	"subscriber": "lead", "lead": "lead", "marketingqualifiedlead": "mql", "salesqualifiedlead": "sql",
	"opportunity": "opportunity", "customer": "won", "evangelist": "won", "other": "lead",
	// Opportunity outcomes.
	"closedwon": "won", "closedlost": "lost",
	// Common spellings.
	"marketingqualified": "mql", "salesqualified": "sql", "new": "sql", "open": "sql",
	"contacted": "contacted", "qualified": "sql", "unqualified": "recycled", "nurture": "recycled",
}

func normalise(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fieldFor returns the lead field a header names, or the header itself (an
// attribute) when it is unknown.
func fieldFor(header string) string {
	if f, ok := columnAliases[normalise(header)]; ok {
		return f
	}
	return strings.TrimSpace(header)
}

// stageFor maps a CRM stage value to a Handoff stage name; unknown values
// pass through so validation names them.
func stageFor(v string) string {
	if s, ok := stageAliases[normalise(v)]; ok {
		return s
	}
	return v
}

// statusTable returns a lookup of lead status values, compared without
// case, spaces and punctuation.
func statusTable(table map[string]handoff.Stage) func(string) (string, bool) {
	norm := make(map[string]string, len(table))
	for k, v := range table {
		norm[normalise(k)] = string(v)
	}
	return func(v string) (string, bool) {
		st, ok := norm[normalise(v)]
		return st, ok
	}
}
