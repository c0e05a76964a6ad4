package teams

import (
	"reflect"
	"testing"
)

// Mentions reads the mention entities of activities as Teams sends them,
// leaving out other entities and ones it cannot read, without making the
// activity unreadable.
func TestActivityMentions(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Mention
	}{
		{"bot and rep", `{"type":"message","text":"<at>Handoff</at> away <at>Ann Berg</at>","entities":[
			{"type":"mention","text":"<at>Handoff</at>","mentioned":{"id":"28:bot","name":"Handoff"}},
			{"type":"clientInfo","locale":"da-DK","country":"DK","platform":"Web"},
			{"type":"mention","text":"<at>Ann Berg</at>","mentioned":{"id":"29:ann","name":"Ann Berg","role":"user"}}]}`,
			[]Mention{{Text: "<at>Handoff</at>", ID: "28:bot", Name: "Handoff"}, {Text: "<at>Ann Berg</at>", ID: "29:ann", Name: "Ann Berg"}}},
		{"malformed entities are skipped", `{"type":"message","entities":[{"type":"mention","mentioned":"29:ann"},
			{"type":"mention","text":"<at>Bo</at>","mentioned":{}},7,{"type":"mention","text":"<at>Bo</at>","mentioned":{"id":"29:bo"}}]}`,
			[]Mention{{Text: "<at>Bo</at>", ID: "29:bo"}}},
		{"entities not a list", `{"type":"message","entities":{"type":"mention"}}`, nil},
		{"no entities", `{"type":"message","text":"away"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := DecodeActivity([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Mentions(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Mentions() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
