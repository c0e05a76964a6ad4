package teams_test

import (
	"encoding/json"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
)

// TestRenderChartTextIsPlain renders a chart whose title, legend and
// labels hold characters markdown would act on: Teams draws a chart's
// strings as plain text, so they must reach it as written, without the
// backslashes that keep them literal in a TextBlock ("\<5m", "spring\_sale").
func TestRenderChartTextIsPlain(t *testing.T) {
	const title, legend, label = "Won by speed <5m *fast* [x]", "Won_%", "spring_sale <5m (4)"
	msg := bot.Message{Summary: "x", Charts: []bot.Chart{{Kind: bot.ChartBar, Title: title, Categories: []string{label},
		Series: []bot.Series{{Name: legend, Values: []float64{3}}, {Name: legend + "2", Values: []float64{1}}}}}}
	raw, err := json.Marshal(teams.RenderCard(msg, names))
	if err != nil {
		t.Fatal(err)
	}
	var card struct {
		Body []struct {
			Type  string `json:"type"`
			Title string `json:"title"`
			Data  []struct {
				Legend string `json:"legend"`
				Values []struct {
					X string `json:"x"`
				} `json:"values"`
			} `json:"data"`
		} `json:"body"`
	}
	if err := json.Unmarshal(raw, &card); err != nil {
		t.Fatal(err)
	}
	if len(card.Body) != 1 || len(card.Body[0].Data) != 2 || len(card.Body[0].Data[0].Values) != 1 {
		t.Fatalf("card = %s, want one grouped bar chart", raw)
	}
	ch := card.Body[0]
	if ch.Title != title || ch.Data[0].Legend != legend || ch.Data[0].Values[0].X != label {
		t.Errorf("chart title %q, legend %q, label %q; want %q, %q, %q as written", ch.Title, ch.Data[0].Legend, ch.Data[0].Values[0].X, title, legend, label)
	}
}
