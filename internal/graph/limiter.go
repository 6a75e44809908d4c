package graph

import (
	"context"
	"sync"
)

// DefaultMailboxConcurrency is Outlook's limit of concurrent requests per app and mailbox
// (protocol.md §2.2).
const DefaultMailboxConcurrency = 4

// MailboxLimiter allows at most N requests in flight per mailbox. Idle mailboxes cost
// nothing: slots are created on demand and removed when free.
type MailboxLimiter struct {
	n    int
	mu   sync.Mutex
	sems map[string]*mboxSem
}

type mboxSem struct {
	ch   chan struct{}
	refs int
}

// NewMailboxLimiter returns a limiter of n per mailbox.
func NewMailboxLimiter(n int) *MailboxLimiter {
	if n <= 0 {
		n = DefaultMailboxConcurrency
	}
	return &MailboxLimiter{n: n, sems: map[string]*mboxSem{}}
}

// Acquire waits for a slot of mailbox key; call release when the request is done.
func (l *MailboxLimiter) Acquire(ctx context.Context, key string) (release func(), err error) {
	l.mu.Lock()
	s := l.sems[key]
	if s == nil {
		s = &mboxSem{ch: make(chan struct{}, l.n)}
		l.sems[key] = s
	}
	s.refs++
	l.mu.Unlock()
	done := func() {
		l.mu.Lock()
		if s.refs--; s.refs == 0 {
			delete(l.sems, key)
		}
		l.mu.Unlock()
	}
	select {
	case s.ch <- struct{}{}:
		return func() { <-s.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// Active is the number of mailboxes with requests in flight or waiting.
func (l *MailboxLimiter) Active() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sems)
}
