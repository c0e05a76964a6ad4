package golden

import "github.com/handoff/handoff"

// Hostile returns l with every text field, and the reason when it has one,
// written as a web form's sender would to forge mentions, links and
// formatting in chat; golden files show how each platform renders them.
func Hostile(l *handoff.Lead) *handoff.Lead {
	l.Name, l.Company, l.Title = "<!channel> *Ann* _Berg_", "[Open in CRM](https://x)", "~CEO~ `rm -rf`"
	l.Email, l.Source, l.Campaign = "ann_berg@acme.dk", "<@U0BOSS>", "<https://evil.example|Q4> & co"
	if l.Reason != "" {
		l.Reason = "<https://evil.example|Signed contract.pdf>"
	}
	return l
}
