package slacktest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ViewAnswer is the answer to a view_submission as Slack reads it (its
// response_action): errors shown on the form's inputs, or a view that
// replaces the form. The zero ViewAnswer is an empty answer, which closes
// the form and shows nothing.
type ViewAnswer struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors,omitempty"`
	View           map[string]any    `json:"view,omitempty"`
}

// ParseViewAnswer decodes the body of an acknowledgement (HTTP or Socket
// Mode) as a ViewAnswer; an empty body is the zero ViewAnswer.
func ParseViewAnswer(body []byte) (ViewAnswer, error) {
	var a ViewAnswer
	if len(strings.TrimSpace(string(body))) == 0 || string(body) == "null" {
		return a, nil
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return a, fmt.Errorf("slacktest: answer %q is not a view answer: %w", body, err)
	}
	return a, nil
}

// Text is every text the replacing view shows (its title, close and
// submit buttons, and its blocks), one a line (each object's text before its
// members' texts, in the order of their keys); "" without a view.
func (a ViewAnswer) Text() string {
	var lines []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				lines = append(lines, s)
			}
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(v[k])
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(a.View)
	return strings.Join(lines, "\n")
}

// Replaces returns nil when the answer replaces the form (response_action
// "update") with a modal view that has no submit button (nothing to send
// again) and says each of want; otherwise an error saying what it is.
func (a ViewAnswer) Replaces(want ...string) error {
	if a.ResponseAction != "update" || a.View["type"] != "modal" {
		return fmt.Errorf("slacktest: answer %+v does not replace the form with a modal view", a)
	}
	if _, ok := a.View["submit"]; ok {
		return fmt.Errorf("slacktest: the view in the form's place has a submit button: %+v", a.View)
	}
	text := a.Text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			return fmt.Errorf("slacktest: the view in the form's place says\n%s\nnot %q", text, w)
		}
	}
	return nil
}

// ErrorOn returns nil when the answer keeps the form open with an error
// on input (response_action "errors") that says each of want; otherwise
// an error saying what the answer is.
func (a ViewAnswer) ErrorOn(input string, want ...string) error {
	msg, ok := a.Errors[input]
	if a.ResponseAction != "errors" || !ok {
		return fmt.Errorf("slacktest: answer %+v shows no error on the input %q", a, input)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			return fmt.Errorf("slacktest: the error on the input %q says %q, not %q", input, msg, w)
		}
	}
	return nil
}
