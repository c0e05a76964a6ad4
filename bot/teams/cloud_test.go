package teams_test

import (
	"context"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
)

// A sovereign cloud's tokens carry its own issuer: a Validator set to it
// accepts them and refuses the public cloud's, and the other way round.
func TestValidatorIssuer(t *testing.T) {
	bf := teamstest.New(t)
	svc := bf.ServiceURL()
	const gov = "https://api.botframework.us"
	signed := func(iss string) string {
		c := teamstest.Claims(teamstest.AppID, svc, time.Now())
		c["iss"] = iss
		return "Bearer " + teamstest.Sign(t, bf.Key(), c)
	}
	public := teams.NewValidator(teamstest.AppID, bf.MetadataURL(), nil, teamstest.ClientTimeout)
	usgov := teams.NewValidator(teamstest.AppID, bf.MetadataURL(), nil, teamstest.ClientTimeout)
	usgov.Issuer = gov
	for _, tc := range []struct {
		name string
		v    *teams.Validator
		iss  string
		want string
	}{
		{"public accepts public", public, teams.Issuer, ""},
		{"public refuses usgov", public, gov, handoff.EUNAUTHORIZED},
		{"usgov accepts usgov", usgov, gov, ""},
		{"usgov refuses public", usgov, teams.Issuer, handoff.EUNAUTHORIZED},
	} {
		_, err := tc.v.Validate(context.Background(), signed(tc.iss), "msteams", svc)
		if got := handoff.ErrorCode(err); got != tc.want {
			t.Errorf("%s: code %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}
}

// A Connector asks for its Scope: a token endpoint that accepts only the
// US Government scope serves a Connector set to it and refuses the default.
func TestConnectorScope(t *testing.T) {
	bf := teamstest.New(t)
	bf.SetScope("https://api.botframework.us/.default")
	msg := schema.Activity{Type: schema.Message, Text: "hi"}

	c := newConnector(bf)
	if _, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:a@thread.tacv2", msg); err == nil {
		t.Fatal("the public scope was accepted by a US Government token endpoint")
	}
	c = newConnector(bf)
	c.Scope = "https://api.botframework.us/.default"
	if _, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:a@thread.tacv2", msg); err != nil {
		t.Fatalf("with the US Government scope: %v", err)
	}
}
