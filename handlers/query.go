package handlers

import (
	"net/http"
	"net/url"
)

// queryOf reads r's query parameters. A part that does not parse (a bad
// percent-escape, or a ";" between parameters, which Go no longer reads as
// "&") is named under "query" in bad, not left out as r.URL.Query() leaves
// it: the answer would be for a query other than the one sent (the
// default period instead of period=last-month;format=csv).
func queryOf(r *http.Request, bad map[string]string) url.Values {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		bad["query"] = err.Error() + "; separate parameters with & and escape % as %25"
	}
	return q
}
