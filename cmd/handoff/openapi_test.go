package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage/storagetest"
)

// The OpenAPI description stays true, on both databases: every answer the
// running server gives to these real requests, errors included, matches it
// (status documented, body valid against its schema), and the requests
// that succeed match it too; every operation it describes is served:
// asked without credentials or body, its answer is one it documents; and
// a request that no operation serves (an unknown path, a method its path
// does not take) is answered as components.responses describes it.
func TestOpenAPIDescribesTheRunningServer(t *testing.T) {
	doc, err := libopenapi.NewDocument(handlers.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("openapi.json: %s: %s", e.Message, e.Reason)
		}
		t.FailNow()
	}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			slack.SetMembers(e2eSales, rrAnn, rrBo)
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_API_TOKEN": "tok",
				"HANDOFF_API_TOKENS": "bi=read-secret:read,forms=intake-secret:intake", "HUBSPOT_CLIENT_SECRET": "hs-secret",
				"HANDOFF_CONFIG":  routingPolicy(t, "slack: "+rrAnn, "slack: "+rrBo),
				"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
				"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager}
			srv := startServer(t, vars)
			routeForOpenAPI(t, srv, slack)

			hubspotBody := `{"hs_object_id":"oa-hs","email":"bo@holm.dk","lifecyclestage":"salesqualifiedlead"}`
			ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
			mac := hmac.New(sha256.New, []byte("hs-secret"))
			mac.Write([]byte("POST" + srv.base + "/hooks/hubspot" + hubspotBody + ts))
			hubspotSig := base64.StdEncoding.EncodeToString(mac.Sum(nil))

			ctJSON, bearer, reader, intake := "application/json", "Bearer tok", "Bearer read-secret", "Bearer intake-secret"
			big := `{"type":"` + strings.Repeat("x", handlers.MaxBodyBytes) + `"}`
			slackSigned := func(body string) map[string]string {
				now := time.Now()
				return map[string]string{"X-Slack-Request-Timestamp": strconv.FormatInt(now.Unix(), 10), "X-Slack-Signature": slacktest.Sign(e2eSecret, now, body)}
			}
			ctForm, challenge := "application/x-www-form-urlencoded", `{"type":"url_verification","challenge":"oa-challenge"}`
			calls := []openAPICall{
				{method: "GET", path: "/healthz", want: 200},
				{method: "GET", path: "/readyz", want: 200},
				{method: "GET", path: "/api/openapi.json", want: 200},
				{method: "POST", path: "/api/leads", auth: bearer, contentType: ctJSON, body: `{"external_id":"oa-1","name":"Ann Berg","email":"ann@berg.dk","score":80,"utm_medium":"cpc"}`, want: 201},
				{method: "POST", path: "/api/leads", auth: bearer, contentType: ctJSON, body: `{"external_id":"oa-1","stage":"claimed","owner_email":"rep@acme.dk"}`, want: 200},
				{method: "POST", path: "/api/leads", auth: bearer, contentType: ctJSON, body: `{"external_id":"oa-1","stage":"mql"}`, want: 409},
				{method: "POST", path: "/api/leads", auth: bearer, contentType: ctJSON, body: `{"stage":"banana"}`, want: 400},
				{method: "POST", path: "/api/leads", auth: bearer, contentType: "text/plain", body: `x`, want: 415},
				{method: "POST", path: "/api/leads", contentType: ctJSON, body: `{"external_id":"oa-2"}`, want: 401},
				{method: "POST", path: "/api/leads", auth: reader, contentType: ctJSON, body: `{"external_id":"oa-2"}`, want: 403},
				{method: "POST", path: "/api/leads", auth: intake, contentType: ctJSON, body: `{"external_id":"oa-form","email":"cy@holm.dk"}`, want: 202},
				{method: "POST", path: "/api/leads", auth: intake, contentType: ctJSON, body: `{"external_id":"oa-1","campaign":"spring"}`, want: 202},
				{method: "POST", path: "/api/leads", auth: intake, contentType: ctJSON, body: `{"external_id":"oa-1","stage":"won"}`, want: 400},
				{method: "POST", path: "/api/leads/oa-1/activities", auth: intake, contentType: ctJSON, body: `{"type":"form_fill"}`, want: 202},
				{method: "POST", path: "/api/leads/nobody/activities", auth: intake, contentType: ctJSON, body: `{"type":"form_fill"}`, want: 202},
				{method: "GET", path: "/api/leads/oa-1", auth: intake, want: 403},
				{method: "GET", path: "/api/funnel?period=month", auth: intake, want: 403},
				{method: "GET", path: "/api/routing", auth: intake, want: 403},
				{method: "GET", path: "/metrics", auth: intake, want: 403},
				{method: "POST", path: "/api/traffic", auth: intake, contentType: ctJSON, body: `{"date":"2026-11-20","visits":1,"source":"forms"}`, want: 403},
				{method: "DELETE", path: "/api/leads/oa-1", auth: intake, want: 403},
				{method: "GET", path: "/api/leads/oa-1", auth: reader, want: 200},
				{method: "GET", path: "/api/leads/nobody", auth: reader, want: 404},
				{method: "GET", path: "/api/funnel?period=month", auth: reader, want: 200},
				{method: "GET", path: "/api/funnel?period=someday", auth: reader, want: 400},
				{method: "GET", path: "/api/routing", auth: reader, want: 200},
				{method: "GET", path: "/api/routing?week=last", auth: reader, want: 400},
				{method: "GET", path: "/api/routing", want: 401},
				{method: "POST", path: "/api/traffic", auth: bearer, contentType: ctJSON, body: `{"date":"2026-11-20","visits":1830,"source":"organic"}`, want: 200},
				{method: "GET", path: "/metrics", auth: reader, want: 200},
				{method: "POST", path: "/hooks/hubspot", contentType: ctJSON, body: hubspotBody,
					headers: map[string]string{"X-HubSpot-Request-Timestamp": ts, "X-HubSpot-Signature-v3": hubspotSig}, want: 200},
				{method: "POST", path: "/hooks/hubspot", contentType: ctJSON, body: hubspotBody,
					headers: map[string]string{"X-HubSpot-Request-Timestamp": ts, "X-HubSpot-Signature-v3": "forged"}, want: 401},
				{method: "POST", path: "/hooks/salesforce?token=x", contentType: "text/xml", body: `<x/>`, want: 500},
				{method: "POST", path: "/api/leads", auth: bearer, contentType: ctJSON, body: big, want: 413},
				{method: "GET", path: "/api/leads/%FF", auth: reader, want: 400},
				{method: "POST", path: "/api/leads/oa-1/activities", auth: bearer, contentType: ctJSON, body: `{"type":"page_view","url":"https://berg.dk/pricing","id":"pv-1"}`, want: 200},
				{method: "POST", path: "/api/leads/oa-1/activities", auth: bearer, contentType: ctJSON, body: `[{"type":"page view"}]`, want: 400},
				{method: "POST", path: "/api/leads/oa-1/activities", auth: bearer, contentType: ctJSON, body: big, want: 413},
				{method: "POST", path: "/api/leads/oa-1/activities", auth: bearer, contentType: "text/plain", body: `x`, want: 415},
				{method: "POST", path: "/api/leads/oa-1/activities", auth: reader, contentType: ctJSON, body: `{"type":"page_view"}`, want: 403},
				{method: "POST", path: "/api/leads/nobody/activities", auth: bearer, contentType: ctJSON, body: `{"type":"page_view"}`, want: 404},
				{method: "GET", path: "/api/funnel?period=month&format=csv", auth: reader, want: 200},
				{method: "POST", path: "/api/traffic", auth: bearer, contentType: ctJSON, body: `{"visits":-1}`, want: 400},
				{method: "DELETE", path: "/api/leads/oa-1", auth: reader, want: 403},
				{method: "DELETE", path: "/api/leads/oa-1", auth: bearer, want: 204},
				{method: "DELETE", path: "/api/leads/oa-1", auth: bearer, want: 404},
				// Slack's endpoints: signed requests, well formed or not.
				{method: "POST", path: "/slack/events", contentType: ctJSON, body: challenge, headers: slackSigned(challenge), want: 200},
				{method: "POST", path: "/slack/events", contentType: ctJSON, body: `{"type":""}`, headers: slackSigned(`{"type":""}`), want: 400},
				{method: "POST", path: "/slack/commands", contentType: ctForm, body: "command=&user_id=", headers: slackSigned("command=&user_id="), want: 400},
				{method: "POST", path: "/slack/interactions", contentType: ctForm, body: "payload=%7B%7D", headers: slackSigned("payload=%7B%7D"), want: 400},
				{method: "POST", path: "/slack/commands", contentType: ctForm, body: "command=/funnel", headers: slackSigned("command=/leads"), want: 401},
				{method: "POST", path: "/slack/commands", contentType: ctForm, body: "x=" + big, headers: slackSigned("x="), want: 413},
			}
			for _, c := range calls {
				t.Run(c.method+" "+c.path, func(t *testing.T) { checkOpenAPICall(t, v, srv, c) })
			}
			for _, op := range openAPIOperations(t) {
				if op.method+" "+op.path == "POST /api/messages" {
					continue // served with Teams on, which this server is not (teams_e2e_test.go calls it)
				}
				t.Run("served "+op.method+" "+op.path, func(t *testing.T) { checkOpenAPICall(t, v, srv, op) })
			}
			for _, c := range unroutedCalls(t) {
				t.Run("unrouted "+c.method+" "+c.path, func(t *testing.T) { checkUnrouted(t, srv, c) })
			}
		})
	}
}

// openAPICall is one request to the running server and the status it must
// answer (0: any that openapi.json documents for the operation).
type openAPICall struct {
	method, path, auth, contentType, body string
	headers                               map[string]string
	want                                  int
}

// openAPIOperations lists every operation of openapi.json as a request
// without credentials or body ({external_id} as "oa-none").
func openAPIOperations(t *testing.T) []openAPICall {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(handlers.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []openAPICall
	for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
		for _, method := range slices.Sorted(maps.Keys(doc.Paths[path])) {
			if method == "parameters" {
				continue
			}
			ops = append(ops, openAPICall{method: strings.ToUpper(method), path: strings.ReplaceAll(path, "{external_id}", "oa-none")})
		}
	}
	return ops
}

// checkOpenAPICall sends c and checks the answer, and the request when it
// succeeded, against openapi.json.
func checkOpenAPICall(t *testing.T, v validator.Validator, srv *server, c openAPICall) {
	t.Helper()
	req, _ := http.NewRequest(c.method, srv.base+c.path, strings.NewReader(c.body))
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for k, val := range c.headers {
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if c.want != 0 && resp.StatusCode != c.want {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	check := func(what string, ok bool, verrs []*verrors.ValidationError) {
		if ok {
			return
		}
		for _, e := range verrs {
			t.Errorf("%s (%d) does not match openapi.json: %s: %s %v", what, resp.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
		}
	}
	vreq, _ := http.NewRequest(c.method, srv.base+c.path, strings.NewReader(c.body))
	vreq.Header = req.Header.Clone()
	ok, verrs := v.ValidateHttpResponse(vreq, resp)
	check("answer", ok, verrs)
	if resp.StatusCode < 300 && c.want != 0 {
		vreq, _ = http.NewRequest(c.method, srv.base+c.path, strings.NewReader(c.body))
		vreq.Header = req.Header.Clone()
		ok, verrs = v.ValidateHttpRequest(vreq)
		check("request", ok, verrs)
	}
}

// routeForOpenAPI gives the funnel and the routing overview their routing
// parts: a lead offered to Ann and accepted with a signed click (an
// offer, an accept and its time), and Bo away until a date with a reason
// (a rep who is not available, and why).
func routeForOpenAPI(t *testing.T, srv *server, slack *slacktest.Server) {
	t.Helper()
	srv.postLead(t, `{"external_id":"oa-routed","name":"Dorte Holm","company":"Holm ApS","score":80}`)
	dm := waitSlackMessage(t, slack, "D"+rrAnn, "Offered to you", bot.ActionAccept)
	srv.clickIn(t, slack, rrAnn, "D"+rrAnn, dm.TS, bot.ActionAccept, "1")
	srv.waitJSON(t, "/api/leads/oa-routed", func(l map[string]any) bool { return l["stage"] == "claimed" })
	srv.slackSend(t, "/slack/commands", slacktest.CommandBody(rrBo, e2eSales, "/away", "until 2099-12-24 Ski trip", slack.ResponseURL("away")))
	srv.waitJSON(t, "/api/routing", func(o map[string]any) bool {
		for _, r := range o["reps"].([]any) {
			if r := r.(map[string]any); r["rep"] == "slack:"+rrBo && r["skip"] == "away" {
				return true
			}
		}
		return false
	})
	srv.waitJSON(t, "/api/funnel?period=month", func(f map[string]any) bool {
		r, _ := f["routing"].(map[string]any)
		return r != nil && strings.Contains(jsonText(r), `"accepted":1`)
	})
}
