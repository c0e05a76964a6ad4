package hubspot

import "strings"

// analyticsSources maps the internal values of hs_analytics_source (the
// contact's Original source), which HubSpot sends in its webhooks, to the
// labels HubSpot shows for them (its Original source): the lead's source
// as marketing reads it in HubSpot, so that /funnel names the sources as
// HubSpot's reports do.
var analyticsSources = map[string]string{
	"ORGANIC_SEARCH": "Organic Search", "PAID_SEARCH": "Paid Search", "EMAIL_MARKETING": "Email Marketing",
	"SOCIAL_MEDIA": "Organic Social", "REFERRALS": "Referrals", "OTHER_CAMPAIGNS": "Other Campaigns",
	"DIRECT_TRAFFIC": "Direct Traffic", "OFFLINE": "Offline Sources", "PAID_SOCIAL": "Paid Social",
	"AI_REFERRALS": "AI Referrals",
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
