package handoff

import "strings"

// RepLogKey is how an error or a log line names the rep with key
// (RepRef.Key, or a platform and user id joined as "teams:29:1abc"): the
// key itself when it holds a platform's user id ("slack:U0123ABC", a
// Teams Entra object id), which names nobody outside that platform, and
// the platform alone ("teams:(email)") when it holds an email address
// (a Teams rep of the agreement named by email, an owner's email), which
// would name the person in a log that outlives them.
func RepLogKey(key string) string {
	if !strings.Contains(key, "@") {
		return key
	}
	if platform, _, ok := strings.Cut(key, ":"); ok && !strings.Contains(platform, "@") {
		return platform + ":(email)"
	}
	return "(email)"
}
