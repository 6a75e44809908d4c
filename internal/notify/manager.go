package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/clock"
)

// Recorder keeps a record of each delivery (the state store implements it).
type Recorder interface {
	RecordDelivery(ctx context.Context, channel, kind, account string, at time.Time, err error) error
}

// Result is what one channel answered to one message.
type Result struct {
	Channel  string
	Type     string
	Attempts int
	Err      error
	Duration time.Duration
}

// ManagerOptions tune a Manager.
type ManagerOptions struct {
	Recorder Recorder
	Logger   *slog.Logger
	// Attempts per channel and message (default 3); Backoff is the wait before the second
	// attempt, doubled before each next one (default 5 s).
	Attempts int
	Backoff  time.Duration
	// Timeout bounds one attempt (default 20 s).
	Timeout time.Duration
	Sleep   func(ctx context.Context, d time.Duration) error
	Now     func() time.Time
	// Queue is how many messages Notify may hold before dropping the oldest (default 256).
	Queue int
}

// Manager sends messages to the configured channels: every channel at once, each with a
// few attempts, every outcome recorded and logged. Notify queues a message for a
// background sender so a slow channel never delays the scheduler; Send delivers at once.
type Manager struct {
	channels []Notifier
	o        ManagerOptions

	mu      sync.Mutex
	queue   []queued
	wake    chan struct{}
	done    chan struct{}
	started bool
	closed  bool
	dropped int
	sending int
}

type queued struct {
	m    Message
	only []string
}

// NewManager returns a manager for the channels (names must be unique).
func NewManager(channels []Notifier, o ManagerOptions) (*Manager, error) {
	if err := uniqueNames(channels); err != nil {
		return nil, err
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	return &Manager{channels: channels, o: o, wake: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// Channels returns the configured channels.
func (m *Manager) Channels() []Notifier {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.channels
}

// SetChannels replaces the channels (a configuration reload); messages queued already go
// to the new ones.
func (m *Manager) SetChannels(channels []Notifier) error {
	if err := uniqueNames(channels); err != nil {
		return err
	}
	m.mu.Lock()
	m.channels = channels
	m.mu.Unlock()
	return nil
}

func uniqueNames(channels []Notifier) error {
	seen := map[string]bool{}
	for _, c := range channels {
		k := strings.ToLower(c.Name())
		if seen[k] {
			return fmt.Errorf("notifications: two channels are named %q: give each its own name", c.Name())
		}
		seen[k] = true
	}
	return nil
}

// Select returns the channels with the given names (case-insensitive), or every channel
// when names is empty; an unknown name is an error listing the known ones.
func (m *Manager) Select(names []string) ([]Notifier, error) {
	all := m.Channels()
	if len(names) == 0 {
		return all, nil
	}
	var out []Notifier
	for _, n := range names {
		found := false
		for _, c := range all {
			if strings.EqualFold(c.Name(), n) {
				out = append(out, c)
				found = true
				break
			}
		}
		if !found {
			var known []string
			for _, c := range all {
				known = append(known, c.Name())
			}
			sort.Strings(known)
			if len(known) == 0 {
				return nil, fmt.Errorf("no notification channel named %q: none is configured (add one under notifications.channels)", n)
			}
			return nil, fmt.Errorf("no notification channel named %q; the channels are: %s", n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// Send delivers m to the channels named in only (all when empty) and returns what each
// answered, in the order of the channels.
func (m *Manager) Send(ctx context.Context, msg Message, only []string) ([]Result, error) {
	chans, err := m.Select(only)
	if err != nil {
		return nil, err
	}
	if msg.Time.IsZero() {
		msg.Time = m.o.Now()
	}
	out := make([]Result, len(chans))
	var wg sync.WaitGroup
	for i, c := range chans {
		wg.Go(func() { out[i] = m.deliver(ctx, c, msg) })
	}
	wg.Wait()
	return out, nil
}

func (m *Manager) deliver(ctx context.Context, c Notifier, msg Message) Result {
	r := Result{Channel: c.Name(), Type: c.Type()}
	start := m.o.Now()
	wait := m.o.Backoff
	for r.Attempts < m.o.Attempts {
		if r.Attempts > 0 {
			if err := m.o.Sleep(ctx, wait); err != nil {
				break
			}
			wait *= 2
		}
		r.Attempts++
		actx, cancel := context.WithTimeout(ctx, m.o.Timeout)
		r.Err = c.Send(actx, msg)
		cancel()
		if r.Err == nil || !retryable(r.Err) {
			break
		}
	}
	r.Duration = m.o.Now().Sub(start)
	if m.o.Recorder != nil {
		if err := m.o.Recorder.RecordDelivery(context.WithoutCancel(ctx), r.Channel, string(msg.Kind), msg.Account, m.o.Now(), r.Err); err != nil {
			m.o.Logger.Warn("could not record a notification delivery", "channel", r.Channel, "err", err)
		}
	}
	if r.Err != nil {
		m.o.Logger.Warn("notification not delivered", "channel", r.Channel, "kind", msg.Kind, "account", msg.Account,
			"attempts", r.Attempts, "err", r.Err)
	} else {
		m.o.Logger.Info("notification delivered", "channel", r.Channel, "kind", msg.Kind, "account", msg.Account)
	}
	return r
}

// retryable reports whether another attempt may succeed: transport errors, 429 and 5xx
// do; a 4xx or a service's own error code (a wrong key, a bad chat id) does not.
func retryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return true
	}
	switch {
	case e.Err != nil:
		return !errors.Is(e.Err, context.Canceled)
	case e.Status == 429 || e.Status >= 500:
		return true
	}
	return false
}

// Notify queues m for the background sender (started by Run) and returns at once. When
// the queue is full the oldest message is dropped (and counted in the log).
func (m *Manager) Notify(msg Message, only ...string) {
	if len(m.Channels()) == 0 {
		return
	}
	if msg.Time.IsZero() {
		msg.Time = m.o.Now()
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	if len(m.queue) >= m.o.Queue {
		m.queue = m.queue[1:]
		m.dropped++
	}
	m.queue = append(m.queue, queued{m: msg, only: only})
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Pending returns how many queued messages are not delivered yet (the one being sent
// included).
func (m *Manager) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queue) + m.sending
}

// Run sends queued messages until ctx ends, then sends what is still queued within
// drain (a shutdown should not lose the "needs you" message of its last round).
func (m *Manager) Run(ctx context.Context, drain time.Duration) {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		panic("notify: Manager.Run called twice")
	}
	m.started = true
	m.mu.Unlock()
	defer close(m.done)
	send := func(ctx context.Context) bool {
		m.mu.Lock()
		if len(m.queue) == 0 {
			m.mu.Unlock()
			return false
		}
		q := m.queue[0]
		m.queue = m.queue[1:]
		m.sending++
		if m.dropped > 0 {
			m.o.Logger.Warn("notifications dropped: the queue was full", "dropped", m.dropped)
			m.dropped = 0
		}
		m.mu.Unlock()
		if _, err := m.Send(ctx, q.m, q.only); err != nil {
			m.o.Logger.Warn("notification not sent", "kind", q.m.Kind, "err", err)
		}
		m.mu.Lock()
		m.sending--
		m.mu.Unlock()
		return true
	}
	// Sends are not cut short when ctx ends (the "stopped" message is sent then): they
	// get drain more, after which whatever is in flight is abandoned.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	stopTimer := context.AfterFunc(ctx, func() { time.AfterFunc(drain, cancelHard) })
	defer stopTimer()
	for {
		for hard.Err() == nil && send(hard) {
		}
		if ctx.Err() != nil {
			return // stopping, and the queue is empty (or the drain time is over)
		}
		select {
		case <-m.wake:
		case <-ctx.Done():
		}
	}
}

// Close stops accepting messages and waits for Run to finish its drain.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	started := m.started
	m.mu.Unlock()
	if started {
		<-m.done
	}
}
