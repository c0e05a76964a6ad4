package salesforce

import (
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// Actor is recorded on the events an Outbound Message causes.
const Actor = handoff.ActorSalesforce

// fieldOf maps intake fields back to the Lead fields they came from, for errors.
var fieldOf = map[string]string{
	"external_id": "Id", "name": "LastName", "company": "Company", "title": "Title", "email": "Email",
	"phone": "Phone", "source": "LeadSource", "stage": "Status", "reason": "Status",
}

// Update is one notification read as a lead input, with the record's
// last-modified time that orders it among others for the same lead.
type Update struct {
	NotificationID string
	Input          handoff.LeadInput
	Modified       time.Time
}

// Updates maps every notification of m to a lead update through the status
// table (Lead Status → stage), validated as received at now. When any
// cannot be a lead it returns the updates of the others with an EINVALID
// error naming every bad field (as "notification <Id>: <Field>", or
// "notification #<position>: Notification Id" for one without its Id): one
// bad notification must not keep the others of its message out.
func Updates(m Message, status map[string]handoff.Stage, now time.Time) ([]Update, error) {
	bad := map[string]string{}
	out := make([]Update, 0, len(m.Notifications))
	for i, n := range m.Notifications {
		u, fields := update(n, status, now)
		label := "notification " + n.ID
		if n.ID == "" {
			// Named by its position, as it has no Id to name it by.
			label = fmt.Sprintf("notification #%d", i+1)
			if fields == nil {
				fields = map[string]string{}
			}
			fields["Notification Id"] = "missing: every Notification carries its Id"
		}
		for f, why := range fields {
			bad[label+": "+f] = why
		}
		if len(fields) == 0 {
			out = append(out, u)
		}
	}
	if len(bad) > 0 {
		return out, handoff.Invalid("invalid Outbound Message", bad)
	}
	return out, nil
}

func update(n Notification, status map[string]handoff.Stage, now time.Time) (Update, map[string]string) {
	bad := map[string]string{}
	if n.Type != "Lead" {
		bad["sObject"] = fmt.Sprintf("type %q: only Lead is accepted", n.Type)
		return Update{}, bad
	}
	f := n.Fields
	raw := map[string]any{}
	if id, err := ID18(f["Id"]); err != nil {
		bad["Id"] = err.Error()
	} else {
		raw["external_id"] = id
	}
	if name := strings.TrimSpace(f["FirstName"] + " " + f["LastName"]); name != "" {
		raw["name"] = name
	}
	for sf, in := range map[string]string{"Company": "company", "Title": "title", "Email": "email", "Phone": "phone", "LeadSource": "source"} {
		if v := f[sf]; v != "" {
			raw[in] = v
		}
	}
	if v := f["Rating"]; v != "" {
		raw["rating"] = v
	}
	if v := f["Status"]; v != "" {
		st, ok := status[v]
		if !ok {
			bad["Status"] = fmt.Sprintf("%q is not in the agreement's salesforce.status table", v)
		}
		raw["stage"] = string(st)
		if st == handoff.StageLost || st == handoff.StageRecycled {
			raw["reason"] = "Salesforce status: " + v
		}
	}
	modified, err := n.Modified()
	if err != nil {
		bad["LastModifiedDate"] = err.Error()
	}
	if len(bad) > 0 {
		return Update{}, bad
	}
	in, err := handoff.ParseLeadInput(raw, now)
	if err != nil {
		for k, why := range handoff.ErrorFields(err) {
			name, ok := fieldOf[k]
			if !ok {
				name = k
			}
			bad[name] = why
		}
		return Update{}, bad
	}
	if in.Stage != "" {
		// The status changed when the record did, as Salesforce dates it:
		// a resent or delayed notification dates its stage by then. No
		// field of the standard Lead says when Status changed (field
		// history is not sent), and a notification carries the record as
		// it is when sent, so a status change and a later edit that reach
		// Handoff together are dated by the edit: the earliest time known.
		// A status Handoff already has keeps the date it was given.
		in.ChangedAt = &modified
		// Arriving after a newer state (a retry, out of order), the
		// older state is stale, but says when the lead had reached its
		// status: the marketing stages the newer one only implied are
		// dated by it (handoff.EarlierImpliedDates).
		in.EarlierImplied = true
	}
	return Update{NotificationID: n.ID, Input: in, Modified: modified}, nil
}
