// Package salesforce receives Salesforce Outbound Messages on Lead at POST
// /hooks/salesforce: SOAP 1.1 notifications from one org, authenticated by
// the org id and a token in the endpoint URL, each saved as a lead unless a
// newer state of the same record was already saved.
package salesforce

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// XML namespaces of an Outbound Message.
const (
	nsSOAP     = "http://schemas.xmlsoap.org/soap/envelope/"
	nsOutbound = "http://soap.sforce.com/2005/09/outbound"
	nsSObject  = "urn:sobject.enterprise.soap.sforce.com"
	nsXSI      = "http://www.w3.org/2001/XMLSchema-instance"
)

// MaxNotifications is the most an Outbound Message carries.
const MaxNotifications = 100

type envelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Notifications *notifications `xml:"http://soap.sforce.com/2005/09/outbound notifications"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

type notifications struct {
	OrganizationID string         `xml:"http://soap.sforce.com/2005/09/outbound OrganizationId"`
	ActionID       string         `xml:"http://soap.sforce.com/2005/09/outbound ActionId"`
	Notification   []notification `xml:"http://soap.sforce.com/2005/09/outbound Notification"`
}

type notification struct {
	ID      string  `xml:"http://soap.sforce.com/2005/09/outbound Id"`
	SObject sObject `xml:"http://soap.sforce.com/2005/09/outbound sObject"`
}

type sObject struct {
	Type   string  `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
	Fields []field `xml:",any"`
}

type field struct {
	XMLName xml.Name
	Nil     string `xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
	Value   string `xml:",chardata"`
}

// Message is a decoded Outbound Message.
type Message struct {
	OrganizationID string
	ActionID       string
	Notifications  []Notification
}

// Notification is one Lead in an Outbound Message.
type Notification struct {
	// ID is the notification's id; a resent notification keeps it. It is
	// empty when the notification lacks one (Updates rejects it).
	ID string
	// Type is the sObject type without prefix ("Lead").
	Type string
	// Fields are the Lead's fields by API name (sf:Company → "Company").
	Fields map[string]string
}

// Modified returns the record's LastModifiedDate (or SystemModstamp).
func (n Notification) Modified() (time.Time, error) {
	for _, name := range []string{"LastModifiedDate", "SystemModstamp"} {
		if v := n.Fields[name]; v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return time.Time{}, fmt.Errorf("%s %q is not a dateTime", name, v)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("LastModifiedDate is missing: add it to the Outbound Message's fields")
}

// Parse decodes an Outbound Message, or says why it is not one. A fault in
// one notification (even a missing Id) is left to Updates, which rejects
// that notification alone.
func Parse(body []byte) (Message, error) {
	var env envelope
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return r, nil
		}
		return nil, fmt.Errorf("unsupported charset %q", charset)
	}
	if err := dec.Decode(&env); err != nil {
		return Message{}, fmt.Errorf("not a SOAP envelope: %v", err)
	}
	n := env.Body.Notifications
	if n == nil {
		return Message{}, fmt.Errorf("no notifications element in the SOAP body")
	}
	if len(n.Notification) == 0 || len(n.Notification) > MaxNotifications {
		return Message{}, fmt.Errorf("%d notifications: want 1 to %d", len(n.Notification), MaxNotifications)
	}
	m := Message{OrganizationID: strings.TrimSpace(n.OrganizationID), ActionID: strings.TrimSpace(n.ActionID)}
	for _, raw := range n.Notification {
		typ := raw.SObject.Type
		if j := strings.IndexByte(typ, ':'); j >= 0 {
			typ = typ[j+1:]
		}
		nt := Notification{ID: strings.TrimSpace(raw.ID), Type: typ, Fields: map[string]string{}}
		for _, f := range raw.SObject.Fields {
			if f.XMLName.Space != nsSObject || f.Nil == "true" {
				continue
			}
			nt.Fields[f.XMLName.Local] = strings.TrimSpace(f.Value)
		}
		m.Notifications = append(m.Notifications, nt)
	}
	return m, nil
}

// ack is the answer that tells Salesforce every notification is stored.
const ack = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="` + nsSOAP + `"><soapenv:Body><notificationsResponse xmlns="` + nsOutbound + `"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>
`

// fault renders a SOAP 1.1 fault; code is "soapenv:Client" or
// "soapenv:Server". fields, the bad fields the reason counts (the first
// few, handoff.Bounded), are its detail, one <field name="…"> each in
// name order.
func fault(code, reason string, fields map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="` + nsSOAP + `"><soapenv:Body><soapenv:Fault><faultcode>` + code + `</faultcode><faultstring>`)
	_ = xml.EscapeText(&b, []byte(reason))
	b.WriteString(`</faultstring>`)
	if len(fields) > 0 {
		b.WriteString(`<detail>`)
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			b.WriteString(`<field name="`)
			_ = xml.EscapeText(&b, []byte(name))
			b.WriteString(`">`)
			_ = xml.EscapeText(&b, []byte(fields[name]))
			b.WriteString(`</field>`)
		}
		b.WriteString(`</detail>`)
	}
	b.WriteString(`</soapenv:Fault></soapenv:Body></soapenv:Envelope>` + "\n")
	return b.Bytes()
}
