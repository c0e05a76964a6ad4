// Package sleep is the wait of the background workers' loops.
package sleep

import (
	"context"
	"time"
)

// Until waits d, or less when wake receives; it returns false when ctx
// ended first.
func Until(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-timer.C:
	}
	return true
}
