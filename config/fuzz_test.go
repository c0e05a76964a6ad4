package config

import "testing"

// FuzzParseAgreement feeds arbitrary YAML to the agreement parser: it must
// never panic, and what it accepts must validate.
func FuzzParseAgreement(f *testing.F) {
	f.Add("timezone: Europe/Copenhagen\nsla:\n  claim_within: 2h\n  contact_within: 48h\n")
	f.Add("sla:\n  business_hours:\n    days: [mon]\n    start: \"08:00\"\n    end: \"17:00\"\n  remind_before: [1h]\n")
	f.Add("sla:\n  contact_within: 48 hours\n")
	f.Add("retention:\n  personal_data: 730d\ndigest:\n  schedule: \"0 8 * * MON\"\n")
	f.Fuzz(func(t *testing.T, doc string) {
		ag, err := ParseAgreement([]byte(doc))
		if err != nil {
			return
		}
		if err := ag.Policy.Validate(); err != nil {
			t.Fatalf("accepted a policy that does not validate: %v\n%s", err, doc)
		}
	})
}
