package hubspot

import "strings"

// analyticsSources maps the internal values of hs_analytics_source (the
// contact's Original source), which HubSpot sends in its webhooks, to the
// labels HubSpot shows for them (its Original source): the lead's source
// as marketing reads it in HubSpot, so that /funnel names the sources as
// HubSpot's reports do.
var analyticsSources = map[string]string{
	"ORGANIC_SEARCH": "Organic search", "PAID_SEARCH": "Paid search", "EMAIL_MARKETING": "Email marketing",
	"SOCIAL_MEDIA": "Organic social", "REFERRALS": "Referrals", "OTHER_CAMPAIGNS": "Other campaigns",
	"DIRECT_TRAFFIC": "Direct traffic", "OFFLINE": "Offline sources", "PAID_SOCIAL": "Paid social",
	"AI_REFERRALS": "AI referrals",
}

// sourceName is the lead source for a contact's hs_analytics_source v:
// HubSpot's label for one of its internal values (in any case, spaces
// around it ignored), v itself for any other (a label already, or a
// customized body's own value).
func sourceName(v string) string {
	if label, ok := analyticsSources[strings.ToUpper(strings.TrimSpace(v))]; ok {
		return label
	}
	return v
}
