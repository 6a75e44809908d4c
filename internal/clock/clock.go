// Package clock gives e5renew one notion of time that tests can replace, so schedules,
// expiry and backoff are tested without sleeping.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends (returning ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the system clock.
type Real struct{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (Real) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Sleep waits for d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Waiter is a clock that can also wake a goroutine at a time: the daemon's dispatcher waits
// with it.
type Waiter interface {
	Clock
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// After implements Waiter.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }
