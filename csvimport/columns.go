package csvimport

import (
	"strings"
	"unicode"
)

// columnAliases maps a normalised CSV header (lower case, letters and digits
// only) to a lead field. Handoff's own field names map to themselves; the
// rest are the column names of HubSpot contact and Salesforce lead exports.
var columnAliases = map[string]string{
	"externalid": "external_id", "recordid": "external_id", "contactid": "external_id",
	"leadid": salesforceID, "id": "external_id", "hubspotid": "external_id",
	"email": "email", "emailaddress": "email",
	"name": "name", "fullname": "name", "contactname": "name",
	"firstname": "first_name", "lastname": "last_name",
	"company": "company", "companyname": "company", "account": "company", "accountname": "company", "organization": "company",
	"title": "title", "jobtitle": "title",
	"phone": "phone", "phonenumber": "phone", "mobilephone": "phone", "mobilephonenumber": "phone",
	"source": "source", "leadsource": "source", "originalsource": "source", "latestsource": "source",
	"campaign": "campaign", "campaignname": "campaign", "firstcampaign": "campaign", "utmcampaign": "campaign",
	"score": "score", "hubspotscore": "score", "leadscore": "score", "rating": "score",
	"stage": "stage", "lifecyclestage": "stage", "leadstatus": "stage", "status": "stage",
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

// stageAliases maps CRM stage and status values (normalised) to Handoff stages.
var stageAliases = map[string]string{
	// HubSpot lifecycle stages.
	"subscriber": "lead", "marketingqualifiedlead": "mql", "salesqualifiedlead": "sql",
	"customer": "won", "evangelist": "won", "other": "lead",
	// Salesforce lead statuses.
	"opennotcontacted": "sql", "workingcontacted": "contacted", "closedconverted": "opportunity",
	"closednotconverted": "lost", "closedwon": "won", "closedlost": "lost",
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
