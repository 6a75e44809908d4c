package clock

import (
	"context"
	"testing"
	"time"
)

func TestFakeWakesWaitersInOrder(t *testing.T) {
	f := NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a, b := f.After(2*time.Second), f.After(time.Second)
	if f.Waiting() != 2 {
		t.Fatal("waiters")
	}
	if w, _ := f.NextWake(); !w.Equal(f.Now().Add(time.Second)) {
		t.Fatalf("next wake %v", w)
	}
	f.Advance(1500 * time.Millisecond)
	select {
	case <-b:
	default:
		t.Fatal("1s waiter not woken at 1.5s")
	}
	select {
	case <-a:
		t.Fatal("2s waiter woken early")
	default:
	}
	f.Advance(time.Second)
	<-a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Sleep(ctx, time.Hour) }()
	for f.Waiting() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Sleep after cancel: %v", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}
