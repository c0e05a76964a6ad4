package bot

import (
	"strconv"
	"strings"
)

// LeadID is the lead id that a lead button's value carries (Button.Value:
// the id in decimal, as the cards set it; spaces around it are ignored),
// and whether value is one: a positive number.
func LeadID(value string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	return id, err == nil && id > 0
}
