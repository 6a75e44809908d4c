package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/i18n"
)

// fake is a channel that fails its first failures sends with err.
type fake struct {
	name     string
	failures int
	err      error
	mu       sync.Mutex
	got      []Message
	calls    int
}

func (f *fake) Name() string { return f.name }
func (f *fake) Type() string { return "fake" }
func (f *fake) Send(ctx context.Context, m Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failures {
		return f.err
	}
	f.got = append(f.got, m)
	return nil
}

func (f *fake) messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.got...)
}

type record struct {
	channel, kind, account string
	ok                     bool
}

type recorder struct {
	mu   sync.Mutex
	recs []record
}

func (r *recorder) RecordDelivery(_ context.Context, channel, kind, account string, _ time.Time, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, record{channel, kind, account, err == nil})
	return nil
}

func noSleep(ctx context.Context, d time.Duration) error { return ctx.Err() }

func TestSendRetriesTransientFailuresOnly(t *testing.T) {
	flaky := &fake{name: "flaky", failures: 2, err: &Error{Channel: "flaky", Status: 502, Answer: "bad gateway"}}
	badKey := &fake{name: "badkey", failures: 99, err: Fail("badkey", `{"errcode":40001,"errmsg":"invalid credential"}`)}
	down := &fake{name: "down", failures: 99, err: &Error{Channel: "down", Err: errors.New("connection refused")}}
	rec := &recorder{}
	var wmu sync.Mutex
	var waits []time.Duration
	m, err := NewManager([]Notifier{flaky, badKey, down}, ManagerOptions{Recorder: rec, Backoff: time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			wmu.Lock()
			defer wmu.Unlock()
			waits = append(waits, d)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Send(t.Context(), Message{Kind: NeedsOwner, Title: "t", Account: "alice"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		attempts int
		ok       bool
	}{"flaky": {3, true}, "badkey": {1, false}, "down": {3, false}}
	for _, r := range res {
		w := want[r.Channel]
		if r.Attempts != w.attempts || (r.Err == nil) != w.ok {
			t.Errorf("%s: %d attempts, err %v; want %d attempts, ok %v", r.Channel, r.Attempts, r.Err, w.attempts, w.ok)
		}
	}
	if len(flaky.messages()) != 1 {
		t.Errorf("flaky got %d messages, want 1", len(flaky.messages()))
	}
	if len(rec.recs) != 3 {
		t.Fatalf("recorded %d deliveries, want one per channel: %+v", len(rec.recs), rec.recs)
	}
	for _, r := range rec.recs {
		if r.kind != "needs_owner" || r.account != "alice" || r.ok != want[r.channel].ok {
			t.Errorf("record %+v", r)
		}
	}
	// Backoff doubles: two channels retried twice each, 1 s then 2 s.
	var ones, twos int
	for _, w := range waits {
		switch w {
		case time.Second:
			ones++
		case 2 * time.Second:
			twos++
		default:
			t.Errorf("unexpected wait %v", w)
		}
	}
	if ones != 2 || twos != 2 {
		t.Errorf("waits %v, want 1s and 2s for each retried channel", waits)
	}
}

func TestSelectAndDuplicateNames(t *testing.T) {
	if _, err := NewManager([]Notifier{&fake{name: "tg"}, &fake{name: "TG"}}, ManagerOptions{}); err == nil {
		t.Error("two channels with the same name accepted")
	}
	a, b := &fake{name: "tg"}, &fake{name: "mail"}
	m, _ := NewManager([]Notifier{a, b}, ManagerOptions{Sleep: noSleep})
	res, err := m.Send(t.Context(), Message{Kind: Test}, []string{"MAIL"})
	if err != nil || len(res) != 1 || res[0].Channel != "mail" {
		t.Fatalf("Send to one channel = %+v, %v", res, err)
	}
	if len(a.messages()) != 0 || len(b.messages()) != 1 {
		t.Error("the message went to the wrong channel")
	}
	_, err = m.Send(t.Context(), Message{Kind: Test}, []string{"slack"})
	if err == nil || !strings.Contains(err.Error(), "mail, tg") {
		t.Errorf("unknown channel: %v, want the known names listed", err)
	}
}

func TestNotifyQueuesAndDrainsOnShutdown(t *testing.T) {
	a := &fake{name: "tg"}
	m, _ := NewManager([]Notifier{a}, ManagerOptions{Sleep: noSleep, Queue: 3})
	// Queued before Run: the oldest beyond the queue size is dropped.
	for i := range 5 {
		m.Notify(Message{Kind: Degrading, Title: string(rune('a' + i))})
	}
	if m.Pending() != 3 {
		t.Fatalf("pending %d, want 3", m.Pending())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // already shutting down: Run only drains
	m.Run(ctx, 5*time.Second)
	m.Close()
	got := a.messages()
	if len(got) != 3 || got[0].Title != "c" || got[2].Title != "e" {
		t.Fatalf("drained %+v, want c, d, e", got)
	}
	m.Notify(Message{Kind: Test}) // after Close: ignored, no panic
	if m.Pending() != 0 {
		t.Error("a message was queued after Close")
	}
}

func TestNotifyDeliversWhileRunning(t *testing.T) {
	a := &fake{name: "tg"}
	m, _ := NewManager([]Notifier{a}, ManagerOptions{Sleep: noSleep})
	ctx, cancel := context.WithCancel(t.Context())
	go m.Run(ctx, time.Second)
	m.Notify(Message{Kind: Recovered, Account: "x"})
	deadline := time.Now().Add(5 * time.Second)
	for len(a.messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	m.Close()
	if got := a.messages(); len(got) != 1 || got[0].Account != "x" || got[0].Time.IsZero() {
		t.Fatalf("delivered %+v", got)
	}
}

func TestMessagesInBothLanguages(t *testing.T) {
	retry := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	en := NeedsOwnerMsg(i18n.EN, "alice", "AADSTS700082", "the refresh token expired", retry, time.UTC)
	zh := NeedsOwnerMsg(i18n.ZH, "alice", "AADSTS700082", "刷新令牌已过期", retry, time.UTC)
	for _, c := range []struct {
		m    Message
		want []string
	}{
		{en, []string{"alice needs you", "AADSTS700082", "the refresh token expired", "2026-03-01 08:00 UTC", "e5renew accounts resume alice"}},
		{zh, []string{"账号 alice 需要你处理", "AADSTS700082", "刷新令牌已过期", "2026-03-01 08:00 UTC", "e5renew accounts resume alice"}},
		{RecoveredMsg(i18n.EN, "bob", 26*time.Hour), []string{"bob works again", "1 day"}},
		{RecoveredMsg(i18n.ZH, "bob", 3*time.Hour), []string{"bob 已恢复正常", "3 小时"}},
		{DegradingMsg(i18n.ZH, "c", 3, []Failing{{"onedrive.list_root", "404 itemNotFound"}}), []string{"最近 3 轮", "onedrive.list_root：404 itemNotFound"}},
		{StartedMsg(i18n.ZH, "v1.2", 10, "nas"), []string{"v1.2", "10 个账号", "nas"}},
		{DigestMsg(i18n.EN, DigestData{Accounts: 3, Healthy: 2, Paused: 1, Rounds: 40, Calls: 400, Problems: map[string]string{"z": "paused"}}), []string{"3 accounts: 2 healthy, 0 degraded, 1 paused", "40 rounds", "- z: paused"}},
	} {
		full := c.m.Full()
		for _, w := range c.want {
			if !strings.Contains(full, w) {
				t.Errorf("message %q lacks %q", full, w)
			}
		}
	}
	if en.Kind != NeedsOwner || en.Account != "alice" {
		t.Errorf("kind/account = %s/%s", en.Kind, en.Account)
	}
}

func TestFailKeepsCharactersWhole(t *testing.T) {
	answer := strings.Repeat("无效的令牌", 40) // 600 bytes of 3-byte characters
	msg := Fail("pushplus", answer).Error()
	if !utf8.ValidString(msg) {
		t.Fatalf("error text is not valid UTF-8: %q", msg)
	}
	if !strings.HasSuffix(msg, "…") || len(msg) > len("pushplus: ")+300+len("…") {
		t.Errorf("error text not cut to 300 bytes: %d bytes", len(msg))
	}
}

// slow takes a while to deliver and fails if its context ends first.
type slow struct {
	fake
	started chan struct{}
}

func (s *slow) Send(ctx context.Context, m Message) error {
	close(s.started)
	select {
	case <-time.After(200 * time.Millisecond):
		return s.fake.Send(ctx, m)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The "stopped" message is usually in flight when the service stops: it must arrive.
func TestStoppingDoesNotCutOffAMessageInFlight(t *testing.T) {
	s := &slow{fake: fake{name: "tg"}, started: make(chan struct{})}
	m, _ := NewManager([]Notifier{s}, ManagerOptions{Sleep: noSleep})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { m.Run(ctx, 5*time.Second); close(done) }()
	m.Notify(Message{Kind: Stopped})
	<-s.started
	cancel()
	<-done
	if got := s.messages(); len(got) != 1 {
		t.Fatalf("delivered %d messages, want the one in flight", len(got))
	}
	// But a drain time that is over abandons it.
	s2 := &slow{fake: fake{name: "tg"}, started: make(chan struct{})}
	m2, _ := NewManager([]Notifier{s2}, ManagerOptions{Sleep: noSleep, Attempts: 1})
	ctx2, cancel2 := context.WithCancel(t.Context())
	done2 := make(chan struct{})
	go func() { m2.Run(ctx2, 10*time.Millisecond); close(done2) }()
	m2.Notify(Message{Kind: Stopped})
	<-s2.started
	cancel2()
	<-done2
	if got := s2.messages(); len(got) != 0 {
		t.Fatalf("delivered after the drain time: %d", len(got))
	}
}
