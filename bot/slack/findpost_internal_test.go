package slack

import (
	"testing"
	"time"
)

// A Slack timestamp holds the time of its message to the microsecond;
// anything else holds no time.
func TestTSTime(t *testing.T) {
	cases := []struct {
		ts   string
		want time.Time
	}{
		{"1795424400.000100", time.Date(2026, 11, 23, 9, 0, 0, 100_000, time.UTC)},
		{"1795424400.123456", time.Date(2026, 11, 23, 9, 0, 0, 123_456_000, time.UTC)},
		{"1795424400", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)},
		{"", time.Time{}},
		{"abc.000100", time.Time{}},
		{"1795424400.12", time.Time{}},
		{"1795424400.-00001", time.Time{}},
		{"-5.000000", time.Time{}},
	}
	for _, tc := range cases {
		if got := tsTime(tc.ts); !got.Equal(tc.want) {
			t.Errorf("tsTime(%q) = %v, want %v", tc.ts, got, tc.want)
		}
		if !tc.want.IsZero() && tc.ts != "1795424400" && slackTS(tc.want) != tc.ts {
			t.Errorf("slackTS(%v) = %q, want %q", tc.want, slackTS(tc.want), tc.ts)
		}
	}
}
