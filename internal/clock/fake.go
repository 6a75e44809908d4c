package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Fake is a clock for tests: time moves only when Advance or Set is called, and waiters
// whose time has come are woken then.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	// onWait, when set, is called (outside the lock) each time something starts waiting.
	onWait func()
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewFake returns a fake clock at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now implements Clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After implements Waiter.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	ch := make(chan time.Time, 1)
	at := f.now.Add(d)
	if d <= 0 {
		ch <- f.now
	} else {
		f.waiters = append(f.waiters, waiter{at: at, ch: ch})
	}
	cb := f.onWait
	f.mu.Unlock()
	if cb != nil {
		cb()
	}
	return ch
}

// Sleep implements Clock: it waits for the fake time to pass d (or ctx to end).
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-f.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Advance moves time forward and wakes the waiters whose time has come, in time order.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves time to t (never backwards) and wakes due waiters.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	if t.After(f.now) {
		f.now = t
	}
	sort.Slice(f.waiters, func(i, j int) bool { return f.waiters[i].at.Before(f.waiters[j].at) })
	var keep []waiter
	for _, w := range f.waiters {
		if !w.at.After(f.now) {
			w.ch <- f.now
		} else {
			keep = append(keep, w)
		}
	}
	f.waiters = keep
	f.mu.Unlock()
}

// Waiting is the number of goroutines waiting on the clock.
func (f *Fake) Waiting() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// NextWake is the earliest waiter's time, or false when none waits.
func (f *Fake) NextWake() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.waiters) == 0 {
		return time.Time{}, false
	}
	min := f.waiters[0].at
	for _, w := range f.waiters[1:] {
		if w.at.Before(min) {
			min = w.at
		}
	}
	return min, true
}
