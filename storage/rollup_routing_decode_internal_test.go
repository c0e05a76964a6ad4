package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// decodeRoutedStepJSON is decodeRoutedStep as it was written before its
// reader (with encoding/json, the whole decision decoded): the reference
// that the reader is compared with here and that the event log's routing
// measure (RoutingStatsFromEvents) decodes with.
func decodeRoutedStepJSON(r eventRow) (handoff.RoutedStep, error) {
	var d map[string]string
	if r.Details != "" {
		if err := json.Unmarshal([]byte(r.Details), &d); err != nil {
			return handoff.RoutedStep{}, fmt.Errorf("storage: routing: lead %d details: %w", r.LeadID, err)
		}
	}
	st := handoff.RoutedStep{LeadID: r.LeadID, At: fromMs(r.AtMs), Opened: d["state"] == string(handoff.OfferOpen),
		Waiting: d["state"] == string(handoff.OfferWaiting), Ending: handoff.SkipReason(d["ending"])}
	if k := d["offered"]; k != "" {
		st.Offered = handoff.ParseRepKey(k)
	}
	if k := d["ended"]; k != "" {
		st.Ended = handoff.ParseRepKey(k)
	}
	if raw := d["decision"]; raw != "" && !st.Offered.IsZero() && st.Ended.IsZero() {
		var decision handoff.RouteDecision
		if err := json.Unmarshal([]byte(raw), &decision); err != nil {
			return handoff.RoutedStep{}, fmt.Errorf("storage: routing: lead %d decision: %w", r.LeadID, err)
		}
		for _, c := range decision.Candidates {
			if c.Available() {
				st.Available = append(st.Available, c.Rep)
			}
		}
	}
	return st, nil
}

// offeredDetails are the details of an offer to slack:U1 with decision.
func offeredDetails(decision string) string {
	b, _ := json.Marshal(map[string]string{"offered": "slack:U1", "state": "offered", "decision": decision})
	return string(b)
}

// routedDetailsOf are the details of the routed events of a lead routed
// by the domain through steps: each step's ending ("" for the first and a
// waiting lead's next look).
func routedDetailsOf(t testing.TB, r handoff.Routing, states map[string]handoff.RepState, steps ...handoff.SkipReason) []string {
	t.Helper()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := &handoff.Lead{ID: 1, Stage: handoff.StageSQL, Offer: &handoff.Offer{State: handoff.OfferPending, Until: at}}
	var out []string
	for i, ending := range steps {
		in := handoff.RouteInput{Now: at.Add(time.Duration(i) * time.Hour), Location: time.UTC, States: states}
		_, change, _, ok := l.RouteStep(r, in, ending, "a \"reason\" <&> \u2028 é")
		if !ok {
			t.Fatalf("step %d (%s) not taken", i, ending)
		}
		row, err := newEventRow(l.ID, change.Events[0])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row.Details)
	}
	return out
}

// decodeRoutedStep reads what encoding/json reads from routed events'
// details: those the domain writes (reps whose ids need escapes, passes,
// timeouts, waiting and opened leads, reps skipped for every reason) and
// texts it never writes (nulls, duplicate keys, keys in other cases,
// escapes, invalid UTF-8, broken JSON, values of other types than their
// fields'), which both read alike or both refuse.
func TestDecodeRoutedStepAsJSON(t *testing.T) {
	odd := handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 3}
	for _, id := range []string{`U"QUOTE"`, `U\BACK\SLASH`, "U<&>", "Uéü€😀", "U\u2028\u2029", "U\x7f\t\n", "U\xff\xfeinvalid", "U:colon"} {
		odd.Reps = append(odd.Reps, handoff.Rep{Ref: handoff.RepRef{Platform: "slack", ID: id}, Weight: 1})
	}
	odd.MaxOpenPerRep = 2
	states := map[string]handoff.RepState{
		odd.Reps[1].Ref.Key(): {Away: &handoff.Away{Until: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Reason: "vacation \"<b>\""}},
		odd.Reps[2].Ref.Key(): {Deactivated: true},
		odd.Reps[3].Ref.Key(): {Unreachable: "no member named ü"},
		odd.Reps[4].Ref.Key(): {OpenLeads: 5},
	}
	var texts []string
	texts = append(texts, routedDetailsOf(t, odd, states, "", handoff.SkipPassed, handoff.SkipTimedOut, handoff.SkipTimedOut)...)
	texts = append(texts, routedDetailsOf(t, odd, nil, "", handoff.SkipTimedOut)...)
	nobody := map[string]handoff.RepState{}
	for _, r := range odd.Reps {
		nobody[r.Ref.Key()] = handoff.RepState{Deactivated: true}
	}
	texts = append(texts, routedDetailsOf(t, odd, nobody, "", "")...)
	big := handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: time.Minute, OfferRounds: 2}
	for i := range 300 {
		big.Reps = append(big.Reps, handoff.Rep{Ref: handoff.RepRef{Platform: "teams", ID: fmt.Sprintf("rep%03d@example.com", i)}, Weight: 1 + i%3})
	}
	texts = append(texts, routedDetailsOf(t, big, nil, "", handoff.SkipPassed, handoff.SkipTimedOut)...)

	texts = append(texts,
		// details the domain never writes
		"null", " null ", "{}", " { } ", `{"state":null,"offered":null}`, `{"state":"open","state":"waiting"}`, `{"state":"open","state":null}`,
		`{"offered":"slack:U1","ended":"slack:U2","ending":"passed","decision":"{}"}`,
		`{"offered":"slack:","decision":"{\"Candidates\":[{}]}"}`,
		`{"offered":"slack:U1","decision":""}`, `{"offered":"slack:U1"}`,
		`{"Offered":"slack:U1","STATE":"open","extra":"x"}`,
		"{\n \"offered\" : \"slack:U1\" ,\t\"decision\" : \"{ \\\"Candidates\\\" : [ { \\\"Rep\\\" : { \\\"ID\\\" : \\\"U1\\\" } } ] }\"\r\n}",
		`{"offered":"slack:\u0055\u00e9\ud83d\ude00\ud800\udc00x\ud800\u0041\/\b\f\n\r\t\"\\"}`,
		`{"offered":"slack:U1","decision":"null"}`,
		"{\"offered\":\"slack:U\xff\xc3\"}",
		`{"offered":"slack:U1","offered":"slack:U2","decision":"{\"Candidates\":[]}"}`,
		// decisions the domain never writes
		offeredDetails(`{"Candidates":null}`),
		offeredDetails(`{"Candidates":[null,{"Rep":null,"Skip":null}]}`),
		offeredDetails(`{"candidates":[{"rep":{"platform":"slack","id":"U1"},"skip":""},{"REP":{"PLATFORM":"x","Id":"U2"},"SKIP":"away"}]}`),
		offeredDetails(`{"Candidates":[{"Rep":{"Platform":"a","ID":"1"},"Skip":"away"},{"Rep":{"ID":"2"}},{"Rep":{"ID":"3"}}],"Candidates":[{"Rep":{"Platform":"b"}}],"Candidates":[{},{"Skip":null},{"Rep":{"ID":"4"}}]}`),
		offeredDetails(`{"Candidates":[{"Rep":{"Platform":"a","ID":"1"},"Rep":{"ID":"2"}}]}`),
		offeredDetails(`{"Candidates":[{"Rep":{"Platform":"slack","ID":"U1"},"Until":null,"Detail":null,"Other":[1,-2.5e+3,true,false,null,{"a":[]}]}],"At":"2026-11-23T09:00:00Z","Credits":{"x":1}}`),
		offeredDetails(`{"Candidates":[{"Rep":{"Platform":"slack","ID":"\u00e9\ud83d\ude00\ud800"},"Skip":""}]}`),
		offeredDetails("{\"Candidates\":[{\"Rep\":{\"ID\":\"U\xff\"}}]}"),
		offeredDetails(strings.Repeat("[", 10001)+strings.Repeat("]", 10001)),
		offeredDetails(`{"x":`+strings.Repeat("[", 9998)+strings.Repeat("]", 9998)+`}`),
		// not JSON, or of other types
		"", " ", "{", `{"state":"open"`, `{"state":"open"}x`, `{"state":1}`, `{"state":true}`, `{"state":{}}`, `{"state":[]}`,
		`["a"]`, `"a"`, `1`, `{"state":"a\x01"}`, `{"state":"\x"}`, `{"state":"\u12"}`, `{"state":"\u12G4"}`, `{"state":"\'"}`,
		`{"state":"open",}`, `{,}`, `{"a" "b"}`, `{'a':'b'}`, `{"a":nul}`, `{"a":nulll}`, "\ufeff{}", `{"a":"b"}}`,
		offeredDetails(`{"Candidates":[}`), offeredDetails(`{"Candidates":{}}`), offeredDetails(`{"Candidates":[1]}`), offeredDetails(`{"Candidates":["x"]}`),
		offeredDetails(`{"Candidates":[{"Rep":"x"}]}`), offeredDetails(`{"Candidates":[{"Rep":{"ID":1}}]}`), offeredDetails(`{"Candidates":[{"Skip":1}]}`),
		offeredDetails(`{"Candidates":[{"Skip":[]}]}`), offeredDetails(`[]`), offeredDetails(`"x"`), offeredDetails(`{"a":01}`), offeredDetails(`{"a":1.}`),
		offeredDetails(`{"a":-}`), offeredDetails(`{"a":1e}`), offeredDetails(`{"a":.5}`), offeredDetails(`{"a":+1}`), offeredDetails(`{"a":tru}`), offeredDetails(`{} {}`),
		offeredDetails(strings.Repeat("[", 10001)+"1"+strings.Repeat("]", 10001)),
		offeredDetails(`{"x":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`}`),
	)
	for i, text := range texts {
		r := eventRow{LeadID: 7, AtMs: 1_700_000_000_000 + int64(i), Details: text}
		want, wantErr := decodeRoutedStepJSON(r)
		got, err := decodeRoutedStep(r)
		if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("case %d, %.200q:\ngot  %+v, %v\nwant %+v, %v", i, text, got, err, want, wantErr)
		}
	}
}

// A value of another type than its field's is refused as encoding/json
// refuses it, the decision's fields that the reader does not keep
// included, with an error that names the field (as encoding/json's
// UnmarshalTypeError does; its errors of a time name none); and values of
// the right types are read, wherever they stand.
func TestDecodeRoutedStepRefusesMistypedFields(t *testing.T) {
	const at = `"2026-11-23T09:00:00.5+01:00"`
	cases := []struct {
		field    string // "ok" for a text both read, "" for the whole decision
		decision string // under "decision" of an offer; details when it is not an object
	}{
		{"At", `{"At":1}`}, {"At", `{"At":"not a time"}`}, {"At", `{"At":"2026-11-23"}`}, {"At", `{"At":{}}`}, {"At", `{"At":[]}`},
		{"At", `{"At":true}`}, {"At", `{"AT":"2026-11-23T09:00:00Z "}`}, {"At", `{"At":"2026-11-23T09:00:00\u005a"}`},
		{"At", `{"At":"2026-11-23T25:00:00Z"}`}, {"At", `{"At":"2026-11-23t09:00:00z"}`},
		{"OfferUntil", `{"OfferUntil":0}`}, {"OfferUntil", `{"offeruntil":"x"}`},
		{"Candidates", `{"Candidates":{}}`}, {"Candidates", `{"Candidates":"x"}`}, {"Candidates", `{"Candidates":1}`}, {"Candidates", `{"Candidates":true}`},
		{"Candidates", `{"Candidates":[1]}`}, {"Candidates", `{"Candidates":[[]]}`}, {"Candidates", `{"Candidates":[{},"x"]}`},
		{"Candidates.Rep", `{"Candidates":[{"Rep":"x"}]}`}, {"Candidates.Rep", `{"Candidates":[{"rep":[]}]}`},
		{"Candidates.Rep.ID", `{"Candidates":[{"Rep":{"ID":1}}]}`}, {"Candidates.Rep.Platform", `{"Candidates":[{"Rep":{"platform":false}}]}`},
		{"Candidates.Skip", `{"Candidates":[{"Skip":1}]}`}, {"Candidates.Skip", `{"Candidates":[{"Skip":[]}]}`},
		{"Candidates.Until", `{"Candidates":[{"Until":"not a time"}]}`}, {"Candidates.Until", `{"Candidates":[{"Until":1}]}`},
		{"Candidates.Until", `{"Candidates":[{"Until":` + at + `},{"Until":"2026-13-01T00:00:00Z"}]}`},
		{"Candidates.Detail", `{"Candidates":[{"Detail":1}]}`}, {"Candidates.Detail", `{"Candidates":[{"Detail":{"a":"b"}}]}`},
		{"Offered", `{"Offered":"x"}`}, {"Offered", `{"Offered":[]}`}, {"Offered.ID", `{"Offered":{"ID":1}}`}, {"Offered.Platform", `{"Offered":{"Platform":{}}}`},
		{"SameAccount", `{"SameAccount":"yes"}`}, {"OpenToChannel", `{"OpenToChannel":1}`}, {"Waiting", `{"Waiting":"yes"}`}, {"Waiting", `{"waiting":{}}`},
		{"Credits", `{"Credits":[]}`}, {"Credits", `{"Credits":"x"}`}, {"Credits", `{"Credits":{"a":1.5}}`}, {"Credits", `{"Credits":{"a":1e3}}`},
		{"Credits", `{"Credits":{"a":"1"}}`}, {"Credits", `{"Credits":{"a":true}}`}, {"Credits", `{"Credits":{"a":{}}}`},
		{"Credits", `{"Credits":{"a":9223372036854775808}}`}, {"Credits", `{"Credits":{"a":-9223372036854775809}}`},
		// the first time that does not parse comes first, as encoding/json stops there
		{"OfferUntil", `{"Waiting":1,"OfferUntil":"x","At":"y"}`}, {"Candidates.Until", `{"Candidates":[{"Rep":1,"Until":2}],"At":3}`},
		// else the first other value of another type
		{"Candidates.Rep.ID", `{"Candidates":[{"Rep":{"ID":1}}],"Waiting":1}`},
		// the whole decision, or the details' values
		{"", `[]`}, {"", `"x"`}, {"", `1`},
		{"state", `details {"state":1}`}, {"offered", `details {"offered":{},"state":"open"}`}, {"extra", `details {"extra":[],"offered":"slack:U1"}`},
		// values of the right types
		{"ok", `{"At":` + at + `,"OfferUntil":"2026-11-23T09:15:00Z","SameAccount":true,"OpenToChannel":false,"Waiting":null,"Credits":{"slack:U1":-3,"slack:U2":9223372036854775807,"x":-0,"y":null}}`},
		{"ok", `{"Candidates":[{"Rep":{"Platform":"slack","ID":"U1"},"Skip":"away","Until":` + at + `,"Detail":"x"},null,{"Until":null,"Detail":null}],"Offered":null,"Credits":null,"At":null}`},
		{"ok", `{"Offered":{"Platform":"slack","ID":"U1","Other":1},"Other":{"At":1,"Credits":[]},"Candidates":[{"Other":"x","Rep":{"Other":[1]}}]}`},
	}
	for _, c := range cases {
		details := offeredDetails(c.decision)
		if d, ok := strings.CutPrefix(c.decision, "details "); ok {
			details = d
		}
		r := eventRow{LeadID: 7, Details: details}
		_, wantErr := decodeRoutedStepJSON(r)
		got, err := decodeRoutedStep(r)
		if (c.field == "ok") != (wantErr == nil) {
			t.Fatalf("%s: encoding/json: %v", c.decision, wantErr)
		}
		if (err == nil) != (wantErr == nil) {
			t.Errorf("%s: read %+v, %v; encoding/json: %v", c.decision, got, err, wantErr)
			continue
		}
		if err == nil {
			continue
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(wantErr, &typeErr) && typeErr.Field != "" && typeErr.Field != c.field {
			t.Errorf("%s: encoding/json names the field %s, not %s", c.decision, typeErr.Field, c.field)
		}
		if c.field != "" && !strings.Contains(err.Error(), "field "+c.field+":") {
			t.Errorf("%s: %v, which does not name the field %s (encoding/json: %v)", c.decision, err, c.field, wantErr)
		}
	}
}

// The reader checks the types of the domain's fields: the lists it reads
// them by are the fields of RouteDecision, Availability and RepRef, in
// order, of the types it reads them as.
func TestRoutedReaderFieldsAreTheDomains(t *testing.T) {
	timeType := reflect.TypeFor[time.Time]()
	for _, c := range []struct {
		typ    reflect.Type
		fields []string
		types  []reflect.Type
	}{
		{reflect.TypeFor[handoff.RouteDecision](), decisionFields, []reflect.Type{timeType, reflect.TypeFor[[]handoff.Availability](),
			reflect.TypeFor[handoff.RepRef](), timeType, reflect.TypeFor[bool](), reflect.TypeFor[bool](), reflect.TypeFor[bool](), reflect.TypeFor[map[string]int64]()}},
		{reflect.TypeFor[handoff.Availability](), candidateFields, []reflect.Type{reflect.TypeFor[handoff.RepRef](), reflect.TypeFor[handoff.SkipReason](), timeType, reflect.TypeFor[string]()}},
		{reflect.TypeFor[handoff.RepRef](), repRefFields, []reflect.Type{reflect.TypeFor[string](), reflect.TypeFor[string]()}},
	} {
		var names []string
		var types []reflect.Type
		for f := range c.typ.Fields() {
			if f.Tag.Get("json") != "" {
				t.Errorf("%s.%s has a json tag, which the reader does not read", c.typ, f.Name)
			}
			names, types = append(names, f.Name), append(types, f.Type)
		}
		if !reflect.DeepEqual(names, c.fields) || !reflect.DeepEqual(types, c.types) {
			t.Errorf("%s: fields %v of types %v; the reader reads %v as %v", c.typ, names, types, c.fields, c.types)
		}
	}
	if _, ok := reflect.PointerTo(reflect.TypeFor[handoff.SkipReason]()).MethodByName("UnmarshalJSON"); ok {
		t.Error("SkipReason decodes itself; the reader reads it as a string")
	}
}

// Values the reader skips (the details' other keys, the decision's, a
// candidate's and a rep's other fields, and what is nested in them) are
// checked as JSON all the same: malformed ones are refused, as
// encoding/json refuses them with a syntax error, wherever they stand.
func TestDecodeRoutedStepRefusesMalformedSkippedValues(t *testing.T) {
	places := []struct {
		name string
		text func(v string) string
	}{
		{"details' other key", func(v string) string { return `{"offered":"slack:U1","extra":` + v + `}` }},
		{"details' first key", func(v string) string { return `{"extra":` + v + `,"offered":"slack:U1"}` }},
		{"decision's other field", func(v string) string { return offeredDetails(`{"Mode":` + v + `,"Candidates":[]}`) }},
		{"decision's last field", func(v string) string { return offeredDetails(`{"Candidates":[],"Mode":` + v + `}`) }},
		{"candidate's field", func(v string) string { return offeredDetails(`{"Candidates":[{"Until":` + v + `,"Rep":{"ID":"U1"}}]}`) }},
		{"rep's field", func(v string) string { return offeredDetails(`{"Candidates":[{"Rep":{"ID":"U1","Name":` + v + `}}]}`) }},
		{"nested", func(v string) string { return offeredDetails(`{"Candidates":[{"Other":{"x":[1,{"y":` + v + `}]}}]}`) }},
	}
	malformed := []string{
		// strings
		`"abc`, `"a\x"`, "\"a\x01\"", "\"a\n\"", `"\u12"`, `"\u12G4"`, `'a'`, `{"a`, `{"\x":1}`,
		// numbers
		`01`, `-01`, `1.`, `-`, `1e`, `1e+`, `.5`, `+1`, `0x1`, `1.e5`, `NaN`, `Infinity`,
		// literals
		`tru`, `nul`, `nulll`, `True`, ``,
		// nesting
		`[}`, `{]`, `[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `[1 2]`, `{"a":1 "b":2}`, `{1:2}`, `{,}`, `[,]`, `[,1]`,
		`[`, `{`, `[[]`, `{"a":{}`, `]`, `}`, `[1]]`, "[1,\v2]", "[1,\u00a02]", `{"a":1}` + "\x00",
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	}
	for _, p := range places {
		for _, v := range malformed {
			r := eventRow{LeadID: 7, Details: p.text(v)}
			var syntax *json.SyntaxError
			if _, err := decodeRoutedStepJSON(r); !errors.As(err, &syntax) {
				t.Errorf("%s %.40q: encoding/json: %v, want a syntax error", p.name, v, err)
			}
			if st, err := decodeRoutedStep(r); err == nil {
				t.Errorf("%s %.40q: read %+v", p.name, v, st)
			}
		}
	}
}

// FuzzDecodeRoutedStep: whatever encoding/json reads from a routed event's
// details (raw, or with the fuzzed decision under "decision"), the reader
// reads alike, and it refuses exactly what encoding/json refuses.
//
//	go test ./storage -run '^$' -fuzz FuzzDecodeRoutedStep -fuzztime 2m
func FuzzDecodeRoutedStep(f *testing.F) {
	seeds := routedDetailsOf(f, handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: time.Minute, OfferRounds: 2,
		Reps: []handoff.Rep{{Ref: handoff.RepRef{Platform: "slack", ID: "U1"}, Weight: 1}, {Ref: handoff.RepRef{Platform: "slack", ID: "U\"é"}, Weight: 2}}},
		nil, "", handoff.SkipPassed, handoff.SkipTimedOut)
	for _, s := range seeds {
		var d map[string]string
		_ = json.Unmarshal([]byte(s), &d)
		f.Add(s, d["decision"])
	}
	f.Add(`{"offered":"slack:U1"}`, `{"Candidates":[null,{"rep":{"id":"\ud800"},"Skip":null}],"Candidates":[{}]}`)
	f.Add(`{"offered":"slack:U1","x":1}`, `{"At":"2026-11-23T09:00:00+01:00","Credits":{"a":-1,"b":null},"Waiting":true,"Candidates":[{"Until":null,"Detail":"x"}]}`)
	f.Fuzz(func(t *testing.T, details, decision string) {
		b, _ := json.Marshal(map[string]string{"offered": "slack:U1", "decision": decision})
		for _, text := range []string{details, string(b)} {
			r := eventRow{LeadID: 1, Details: text}
			want, wantErr := decodeRoutedStepJSON(r)
			got, err := decodeRoutedStep(r)
			if wantErr == nil && (err != nil || !reflect.DeepEqual(got, want)) {
				t.Fatalf("%q:\ngot  %+v, %v\nwant %+v, %v", text, got, err, want, wantErr)
			}
			if err == nil && wantErr != nil {
				t.Fatalf("%q: read %+v, which encoding/json refuses: %v", text, got, wantErr)
			}
		}
	})
}

// BenchmarkDecodeRoutedStep decodes a first offer's routed event among 300
// reps with 60-character ids (BenchmarkRoutedLead's pool), with the
// reader ("reader") and with encoding/json ("json", the code before it).
//
//	go test ./storage -run '^$' -bench DecodeRoutedStep -benchmem
func BenchmarkDecodeRoutedStep(b *testing.B) {
	r := handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: time.Minute, OfferRounds: 2}
	for i := range 300 {
		r.Reps = append(r.Reps, handoff.Rep{Ref: handoff.RepRef{Platform: "slack", ID: fmt.Sprintf("U%059X", i*7919)}, Weight: 1})
	}
	row := eventRow{LeadID: 1, Details: routedDetailsOf(b, r, nil, "")[0]}
	for _, d := range []struct {
		name   string
		decode func(eventRow) (handoff.RoutedStep, error)
	}{{"reader", decodeRoutedStep}, {"json", decodeRoutedStepJSON}} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(row.Details)))
			for b.Loop() {
				if st, err := d.decode(row); err != nil || len(st.Available) != 300 {
					b.Fatal(len(st.Available), err)
				}
			}
		})
	}
}
