package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/store"
)

var daemonTests = []struct {
	name string
	fn   func(t *testing.T, h *harness)
}{
	{"State/Unknown", testStateUnknown},
	{"State/SaveLoad", testStateSaveLoad},
	{"State/CancelledContext", testStateCancelledContext},
	{"State/SaveMany", testStateSaveMany},
	{"Changes/OrderLimitAndAfter", testChanges},
	{"Changes/Invalid", testChangesInvalid},
	{"ActivityHealth/SaveLoad", testActivityHealth},
	{"Deliveries/OrderAndFilter", testDeliveries},
	{"Daemon/Reopen", testDaemonReopen},
	{"Managed/SaveListDelete", testManaged},
}

func testStateUnknown(t *testing.T, h *harness) {
	s := h.store(t)
	_, ok, err := s.LoadState(ctx(t), "nobody")
	must(t, err)
	if ok {
		t.Error("LoadState of an unknown account reported a state")
	}
	all, err := s.States(ctx(t))
	must(t, err)
	if len(all) != 0 {
		t.Errorf("States of an empty store = %+v", all)
	}
}

func checkState(t *testing.T, got, want store.AccountState) {
	t.Helper()
	if got.Account != want.Account {
		t.Errorf("Account = %q, want %q", got.Account, want.Account)
	}
	checkTime(t, "NextRun", got.NextRun, want.NextRun)
	checkTime(t, "PausedAt", got.PausedAt, want.PausedAt)
	checkTime(t, "PauseUntil", got.PauseUntil, want.PauseUntil)
	if !want.Updated.IsZero() {
		checkTime(t, "Updated", got.Updated, want.Updated)
	} else if got.Updated.IsZero() {
		t.Error("Updated not set by the store")
	}
	g, w := got, want
	g.NextRun, g.PausedAt, g.PauseUntil, g.Updated, g.Account = time.Time{}, time.Time{}, time.Time{}, time.Time{}, ""
	w.NextRun, w.PausedAt, w.PauseUntil, w.Updated, w.Account = time.Time{}, time.Time{}, time.Time{}, time.Time{}, ""
	if !reflect.DeepEqual(g, w) {
		t.Errorf("state = %+v, want %+v", g, w)
	}
}

func testStateSaveLoad(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "Alice"}, store.Account{Name: "bob"})
	a := store.AccountState{
		Account: "Alice", NextRun: base.Add(time.Hour), Paused: true, PauseReason: store.PauseNeedsOwner,
		PauseCode: "AADSTS7000222", PauseMessage: "client secret expired", PausedAt: base,
		PauseUntil: base.Add(24 * time.Hour), Failures: 3, Degraded: 2, Fingerprint: "fp1",
		Notified: "needs_owner:AADSTS7000222", Updated: base,
	}
	must(t, s.SaveState(ctx(t), a))
	b := store.AccountState{Account: "bob", NextRun: base.Add(2 * time.Hour)}
	must(t, s.SaveState(ctx(t), b))

	got, ok, err := s.LoadState(ctx(t), "ALICE")
	must(t, err)
	if !ok {
		t.Fatal("LoadState: saved state not found (names are case-insensitive)")
	}
	checkState(t, got, a)

	// Saving again replaces every field, zero ones included.
	a2 := store.AccountState{Account: "alice", NextRun: base.Add(3 * time.Hour), Updated: base.Add(time.Minute)}
	must(t, s.SaveState(ctx(t), a2))
	got, _, err = s.LoadState(ctx(t), "Alice")
	must(t, err)
	a2.Account = "Alice" // the stored spelling
	checkState(t, got, a2)

	all, err := s.States(ctx(t))
	must(t, err)
	if len(all) != 2 || all[0].Account != "Alice" || all[1].Account != "bob" {
		t.Fatalf("States = %+v, want Alice and bob", all)
	}
	checkState(t, all[1], b)
}

func testStateCancelledContext(t *testing.T, h *harness) {
	s := h.store(t)
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	st := store.AccountState{Account: "a", NextRun: base}
	if err := s.SaveState(c, st); err != nil {
		t.Fatalf("SaveState with a cancelled context: %v (a state write must not be lost)", err)
	}
	got, ok, err := s.LoadState(ctx(t), "a")
	must(t, err)
	if !ok {
		t.Fatal("state not saved")
	}
	checkTime(t, "NextRun", got.NextRun, base)
}

func testChanges(t *testing.T, h *harness) {
	s := h.store(t)
	var all []*store.StateChange
	for i, acc := range []string{"a", "b", "a", "c", "a"} {
		c := &store.StateChange{Account: acc, At: base.Add(time.Duration(i) * time.Minute), Kind: "paused",
			Reason: "needs_owner", Message: "m", By: "daemon"}
		must(t, s.RecordChange(ctx(t), c))
		if c.ID == 0 {
			t.Fatal("RecordChange set no ID")
		}
		if len(all) > 0 && c.ID <= all[len(all)-1].ID {
			t.Fatalf("IDs not increasing: %d after %d", c.ID, all[len(all)-1].ID)
		}
		all = append(all, c)
	}
	got, err := s.Changes(ctx(t), "A", 2)
	must(t, err)
	if len(got) != 2 || got[0].ID != all[4].ID || got[1].ID != all[2].ID {
		t.Fatalf("Changes(a, 2) = %+v, want the two newest of a", got)
	}
	if got[0].Kind != "paused" || got[0].Reason != "needs_owner" || got[0].Message != "m" || got[0].By != "daemon" || got[0].Account != "a" {
		t.Errorf("change = %+v", got[0])
	}
	checkTime(t, "At", got[0].At, all[4].At)
	every, err := s.Changes(ctx(t), "", 0)
	must(t, err)
	if len(every) != 5 || every[0].ID != all[4].ID || every[4].ID != all[0].ID {
		t.Fatalf("Changes(all) = %d changes, want 5 newest first", len(every))
	}
	after, err := s.ChangesAfter(ctx(t), all[1].ID)
	must(t, err)
	if len(after) != 3 || after[0].ID != all[2].ID || after[2].ID != all[4].ID {
		t.Fatalf("ChangesAfter = %+v, want the last three oldest first", after)
	}
	none, err := s.ChangesAfter(ctx(t), all[4].ID)
	must(t, err)
	if len(none) != 0 {
		t.Errorf("ChangesAfter(newest) = %+v", none)
	}
}

func testChangesInvalid(t *testing.T, h *harness) {
	s := h.store(t)
	for _, c := range []*store.StateChange{nil, {Kind: "paused"}, {Account: "a"}} {
		if err := s.RecordChange(ctx(t), c); err == nil {
			t.Errorf("RecordChange(%+v) accepted", c)
		}
	}
}

func testActivityHealth(t *testing.T, h *harness) {
	s := h.store(t)
	x := store.ActivityHealth{Account: "a", Activity: "teams.list_channels", Failures: 3, LastCode: "Forbidden",
		LastStatus: 403, DemotedUntil: base.Add(7 * 24 * time.Hour), Updated: base}
	y := store.ActivityHealth{Account: "a", Activity: "mail.list_messages", Failures: 1, LastStatus: 404}
	z := store.ActivityHealth{Account: "b", Activity: "mail.list_messages", Failures: 9}
	for _, v := range []store.ActivityHealth{x, y, z} {
		must(t, s.SaveActivityHealth(ctx(t), v))
	}
	if err := s.SaveActivityHealth(ctx(t), store.ActivityHealth{Account: "a"}); err == nil {
		t.Error("SaveActivityHealth without an activity accepted")
	}
	got, err := s.ActivityHealth(ctx(t), "A")
	must(t, err)
	if len(got) != 2 || got[0].Activity != "mail.list_messages" || got[1].Activity != "teams.list_channels" {
		t.Fatalf("ActivityHealth(a) = %+v", got)
	}
	g := got[1]
	checkTime(t, "DemotedUntil", g.DemotedUntil, x.DemotedUntil)
	checkTime(t, "Updated", g.Updated, x.Updated)
	if g.Failures != 3 || g.LastCode != "Forbidden" || g.LastStatus != 403 || g.Account != "a" {
		t.Errorf("health = %+v", g)
	}
	if !got[0].DemotedUntil.IsZero() || got[0].Updated.IsZero() {
		t.Errorf("health without demotion = %+v", got[0])
	}
	// Replacing clears the demotion.
	x.Failures, x.DemotedUntil = 0, time.Time{}
	must(t, s.SaveActivityHealth(ctx(t), x))
	got, err = s.ActivityHealth(ctx(t), "a")
	must(t, err)
	if got[1].Failures != 0 || !got[1].DemotedUntil.IsZero() {
		t.Errorf("after reset: %+v", got[1])
	}
}

func testDeliveries(t *testing.T, h *harness) {
	s := h.store(t)
	var ids []int64
	for i, ch := range []string{"tg", "mail", "tg"} {
		d := &store.Delivery{At: base.Add(time.Duration(i) * time.Second), Channel: ch, Kind: "needs_owner",
			Account: "a", OK: i != 1, Error: map[bool]string{true: "", false: "HTTP 500"}[i != 1]}
		must(t, s.RecordDelivery(ctx(t), d))
		ids = append(ids, d.ID)
	}
	if err := s.RecordDelivery(ctx(t), &store.Delivery{Kind: "x"}); err == nil {
		t.Error("delivery without a channel accepted")
	}
	got, err := s.Deliveries(ctx(t), "", 2)
	must(t, err)
	if len(got) != 2 || got[0].ID != ids[2] || got[1].ID != ids[1] {
		t.Fatalf("Deliveries(all, 2) = %+v", got)
	}
	if got[1].OK || got[1].Error != "HTTP 500" || got[1].Channel != "mail" || got[1].Kind != "needs_owner" || got[1].Account != "a" {
		t.Errorf("delivery = %+v", got[1])
	}
	checkTime(t, "At", got[1].At, base.Add(time.Second))
	tg, err := s.Deliveries(ctx(t), "tg", 0)
	must(t, err)
	if len(tg) != 2 || tg[0].ID != ids[2] || tg[1].ID != ids[0] || !tg[0].OK {
		t.Errorf("Deliveries(tg) = %+v", tg)
	}
}

func testDaemonReopen(t *testing.T, h *harness) {
	s := h.open(t)
	st := store.AccountState{Account: "a", NextRun: base, Paused: true, PauseReason: store.PauseByOwner}
	must(t, s.SaveState(ctx(t), st))
	c := &store.StateChange{Account: "a", Kind: "paused", By: "owner"}
	must(t, s.RecordChange(ctx(t), c))
	must(t, s.SaveActivityHealth(ctx(t), store.ActivityHealth{Account: "a", Activity: "x", Failures: 2}))
	must(t, s.RecordDelivery(ctx(t), &store.Delivery{Channel: "tg", Kind: "test", OK: true}))
	must(t, s.Close())

	s = h.store(t)
	got, ok, err := s.LoadState(ctx(t), "a")
	must(t, err)
	if !ok || !got.Paused || got.PauseReason != store.PauseByOwner {
		t.Errorf("state after reopening = %+v", got)
	}
	after, err := s.ChangesAfter(ctx(t), 0)
	must(t, err)
	if len(after) != 1 || after[0].ID != c.ID {
		t.Errorf("changes after reopening = %+v", after)
	}
	hs, err := s.ActivityHealth(ctx(t), "a")
	must(t, err)
	if len(hs) != 1 || hs[0].Failures != 2 {
		t.Errorf("health after reopening = %+v", hs)
	}
	ds, err := s.Deliveries(ctx(t), "", 0)
	must(t, err)
	if len(ds) != 1 || !ds[0].OK {
		t.Errorf("deliveries after reopening = %+v", ds)
	}
}

func testStateSaveMany(t *testing.T, h *harness) {
	s := h.store(t)
	var many []store.AccountState
	for i := range 500 {
		many = append(many, store.AccountState{Account: fmt.Sprintf("acct%03d", i), NextRun: base.Add(time.Duration(i) * time.Second), Failures: i % 7})
	}
	must(t, s.SaveStates(ctx(t), many))
	all, err := s.States(ctx(t))
	must(t, err)
	if len(all) != len(many) {
		t.Fatalf("States = %d, want %d", len(all), len(many))
	}
	for i, st := range all {
		checkState(t, st, many[i])
	}
	// The same call updates.
	many[3].Paused, many[3].PauseReason = true, store.PauseByOwner
	must(t, s.SaveStates(ctx(t), many[3:4]))
	got, _, err := s.LoadState(ctx(t), "acct003")
	must(t, err)
	checkState(t, got, many[3])
}

func testManaged(t *testing.T, h *harness) {
	s := h.store(t)
	list, err := s.ManagedAccounts(ctx(t))
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("managed accounts of an empty store: %+v", list)
	}
	bob := store.ManagedAccount{Name: "bob", Type: "client_credentials", Tenant: "contoso.onmicrosoft.com",
		ClientID: "c1", User: "admin@contoso.onmicrosoft.com", ClientSecret: "s3cr3t~value", Source: "accounts-add",
		SecretExpires: base.Add(700 * 24 * time.Hour), Created: base, Updated: base}
	alice := store.ManagedAccount{Name: "Alice", Type: "refresh_token", ClientID: "c2", RefreshToken: "1.AXEA-refresh",
		Scopes: []string{"User.Read", "Mail.ReadWrite"}, Source: "login"}
	must(t, s.SaveManaged(ctx(t), bob))
	must(t, s.SaveManaged(ctx(t), alice))
	if err := s.SaveManaged(ctx(t), store.ManagedAccount{Name: "x"}); err == nil {
		t.Error("a managed account without a type was accepted")
	}
	list, err = s.ManagedAccounts(ctx(t))
	must(t, err)
	if len(list) != 2 || list[0].Name != "Alice" || list[1].Name != "bob" {
		t.Fatalf("managed accounts %+v, want Alice and bob", list)
	}
	a, b := list[0], list[1]
	if a.RefreshToken.Reveal() != "1.AXEA-refresh" || strings.Join(a.Scopes, " ") != "User.Read Mail.ReadWrite" || a.Source != "login" || a.Created.IsZero() {
		t.Errorf("alice %+v", a)
	}
	if b.ClientSecret.Reveal() != "s3cr3t~value" || b.Tenant != "contoso.onmicrosoft.com" || b.User != "admin@contoso.onmicrosoft.com" || b.Type != "client_credentials" {
		t.Errorf("bob %+v", b)
	}
	checkTime(t, "SecretExpires", b.SecretExpires, bob.SecretExpires)
	checkTime(t, "Created", b.Created, base)
	// Replacing keeps the creation time and the case-insensitive identity.
	alice.Name, alice.RefreshToken, alice.Updated = "ALICE", "1.AXEA-new", base.Add(time.Hour)
	must(t, s.SaveManaged(ctx(t), alice))
	list, _ = s.ManagedAccounts(ctx(t))
	if len(list) != 2 || list[0].RefreshToken.Reveal() != "1.AXEA-new" || !list[0].Created.Equal(a.Created) {
		t.Errorf("after replacing: %+v", list)
	}
	must(t, s.DeleteManaged(ctx(t), "BOB"))
	if err := s.DeleteManaged(ctx(t), "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice: %v, want ErrNotFound", err)
	}
	list, _ = s.ManagedAccounts(ctx(t))
	if len(list) != 1 {
		t.Errorf("after delete: %+v", list)
	}
}
