// Package storetest is the conformance suite every store.Store implementation must pass.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
)

// Run runs the suite. open returns a new, empty store for each distinct t; called again
// with the same t (after the store it returned was closed), it returns a store on the same
// data, so the suite can check that reopening keeps everything. The suite closes the
// stores it opens.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	h := &harness{open: open}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"Accounts/Empty", testAccountsEmpty},
		{"Accounts/Sync", testAccountsSync},
		{"Accounts/SeenTimes", testAccountsSeenTimes},
		{"Accounts/CaseInsensitive", testAccountsCaseInsensitive},
		{"Accounts/Invalid", testAccountsInvalid},
		{"Accounts/Many", testAccountsMany},
		{"Token/Unknown", testTokenUnknown},
		{"Token/SaveLoad", testTokenSaveLoad},
		{"Token/CaseInsensitive", testTokenCaseInsensitive},
		{"Token/RenamedAccount", testTokenRenamedAccount},
		{"Token/UnconfiguredAccount", testTokenUnconfiguredAccount},
		{"Token/CancelledContext", testTokenCancelledContext},
		{"Rounds/Unknown", testRoundsUnknown},
		{"Rounds/RoundTrip", testRoundsRoundTrip},
		{"Rounds/OrderAndLimit", testRoundsOrderAndLimit},
		{"Rounds/Invalid", testRoundsInvalid},
		{"Rounds/CaseInsensitive", testRoundsCaseInsensitive},
		{"Rounds/LastRounds", testLastRounds},
		{"Rounds/RemovedAccountKeepsHistory", testRemovedAccountKeepsHistory},
		{"Rounds/Concurrent", testRoundsConcurrent},
		{"Journal/Unknown", testJournalUnknown},
		{"Journal/Lifecycle", testJournalLifecycle},
		{"Journal/OrderAndIsolation", testJournalOrderAndIsolation},
		{"Journal/WrongAccount", testJournalWrongAccount},
		{"Journal/Invalid", testJournalInvalid},
		{"Journal/Concurrent", testJournalConcurrent},
		{"Reopen", testReopen},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
	for _, tc := range daemonTests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
	for _, tc := range dashboardTests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

type harness struct {
	open func(t *testing.T) store.Store
}

// store opens a fresh store, closed when the test ends.
func (h *harness) store(t *testing.T) store.Store {
	t.Helper()
	s := h.open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// base has nanoseconds and a zone other than UTC: stores keep microseconds, in UTC.
var base = time.Date(2025, 3, 1, 10, 0, 0, 123456789, time.FixedZone("CST", 8*3600))

func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(norm(want)) {
		t.Errorf("%s = %v, want %v", what, got, norm(want))
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sync_(t *testing.T, s store.Store, accounts ...store.Account) store.SyncResult {
	t.Helper()
	res, err := s.SyncAccounts(ctx(t), accounts)
	if err != nil {
		t.Fatalf("SyncAccounts: %v", err)
	}
	return res
}

func names(list ...string) []string { return list }

func checkNames(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func checkSync(t *testing.T, got store.SyncResult, added, updated, removed []string) {
	t.Helper()
	checkNames(t, "Added", got.Added, added)
	checkNames(t, "Updated", got.Updated, updated)
	checkNames(t, "Removed", got.Removed, removed)
}

func accounts(t *testing.T, s store.Store) map[string]store.Account {
	t.Helper()
	list, err := s.Accounts(ctx(t))
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	m := map[string]store.Account{}
	for _, a := range list {
		m[a.Name] = a
	}
	if len(m) != len(list) {
		t.Fatalf("Accounts lists a name twice: %+v", list)
	}
	return m
}

func sameConfig(a, b store.Account) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Tenant == b.Tenant && a.ClientID == b.ClientID &&
		a.User == b.User && a.Enabled == b.Enabled
}

func testAccountsEmpty(t *testing.T, h *harness) {
	s := h.store(t)
	list, err := s.Accounts(ctx(t))
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("new store has accounts %+v", list)
	}
	res := sync_(t, s)
	checkSync(t, res, nil, nil, nil)
}

func testAccountsSync(t *testing.T, h *harness) {
	s := h.store(t)
	alice := store.Account{Name: "alice", Type: "refresh_token", Tenant: "contoso.onmicrosoft.com", ClientID: "c1", User: "alice@contoso.onmicrosoft.com", Enabled: true}
	bob := store.Account{Name: "bob", Type: "client_credentials", Tenant: "fabrikam", ClientID: "c2"}
	checkSync(t, sync_(t, s, bob, alice), names("alice", "bob"), nil, nil)

	got := accounts(t, s)
	if len(got) != 2 {
		t.Fatalf("Accounts = %+v, want alice and bob", got)
	}
	for _, want := range []store.Account{alice, bob} {
		a := got[want.Name]
		if !sameConfig(a, want) || !a.InConfig {
			t.Errorf("account %s = %+v, want %+v in the configuration", want.Name, a, want)
		}
	}
	list, err := s.Accounts(ctx(t))
	must(t, err)
	if list[0].Name != "alice" || list[1].Name != "bob" {
		t.Errorf("Accounts not sorted by name: %s, %s", list[0].Name, list[1].Name)
	}

	// The same configuration changes nothing.
	checkSync(t, sync_(t, s, alice, bob), nil, nil, nil)

	// alice changes tenant and spelling, bob leaves, carol arrives.
	alice2 := alice
	alice2.Name, alice2.Tenant = "Alice", "contoso2"
	carol := store.Account{Name: "carol", Type: "password", User: "carol@x", Enabled: true}
	checkSync(t, sync_(t, s, alice2, carol), names("carol"), names("Alice"), names("bob"))
	got = accounts(t, s)
	if len(got) != 3 {
		t.Fatalf("Accounts = %+v, want Alice, bob (kept) and carol", got)
	}
	if a := got["Alice"]; !sameConfig(a, alice2) || !a.InConfig {
		t.Errorf("Alice = %+v, want %+v", a, alice2)
	}
	if b := got["bob"]; !sameConfig(b, bob) || b.InConfig {
		t.Errorf("bob = %+v, want kept as it was, InConfig false", b)
	}
	if c := got["carol"]; !sameConfig(c, carol) || !c.InConfig {
		t.Errorf("carol = %+v, want %+v", c, carol)
	}

	// Only Enabled changes: an update.
	alice3 := alice2
	alice3.Enabled = false
	checkSync(t, sync_(t, s, alice3, carol), nil, names("Alice"), nil)
	if a := accounts(t, s)["Alice"]; a.Enabled {
		t.Errorf("Alice still enabled: %+v", a)
	}

	// bob comes back (changed): added again, not updated; the others leave.
	bob2 := bob
	bob2.Enabled = true
	checkSync(t, sync_(t, s, bob2), names("bob"), nil, names("Alice", "carol"))
	got = accounts(t, s)
	if b := got["bob"]; !sameConfig(b, bob2) || !b.InConfig {
		t.Errorf("bob = %+v, want %+v back in the configuration", b, bob2)
	}
	if got["Alice"].InConfig || got["carol"].InConfig {
		t.Errorf("Alice and carol still in the configuration: %+v", got)
	}

	// An empty configuration removes everyone and deletes nothing.
	checkSync(t, sync_(t, s), nil, nil, names("bob"))
	if got := accounts(t, s); len(got) != 3 {
		t.Errorf("Accounts after emptying the configuration = %+v, want all three kept", got)
	}
}

func testAccountsSeenTimes(t *testing.T, h *harness) {
	s := h.store(t)
	before := time.Now().Add(-time.Second)
	sync_(t, s, store.Account{Name: "a"}, store.Account{Name: "b"})
	after := time.Now().Add(time.Second)
	first := accounts(t, s)
	for _, a := range first {
		if a.FirstSeen.Before(before) || a.FirstSeen.After(after) || !a.LastSeen.Equal(a.FirstSeen) {
			t.Errorf("%s: FirstSeen %v LastSeen %v, want both the time of the sync (between %v and %v)", a.Name, a.FirstSeen, a.LastSeen, before, after)
		}
		checkTime(t, a.Name+" FirstSeen", a.FirstSeen, a.FirstSeen)
	}
	time.Sleep(5 * time.Millisecond)
	sync_(t, s, store.Account{Name: "a"})
	second := accounts(t, s)
	if a := second["a"]; !a.FirstSeen.Equal(first["a"].FirstSeen) || !a.LastSeen.After(first["a"].LastSeen) {
		t.Errorf("a after a second sync: FirstSeen %v LastSeen %v, want FirstSeen kept (%v) and LastSeen later", a.FirstSeen, a.LastSeen, first["a"].FirstSeen)
	}
	if b := second["b"]; !b.FirstSeen.Equal(first["b"].FirstSeen) || !b.LastSeen.Equal(first["b"].LastSeen) {
		t.Errorf("b removed: FirstSeen %v LastSeen %v, want both kept (LastSeen is the last time it was configured)", b.FirstSeen, b.LastSeen)
	}
}

func testAccountsCaseInsensitive(t *testing.T, h *harness) {
	s := h.store(t)
	checkSync(t, sync_(t, s, store.Account{Name: "Éric", Tenant: "t"}), names("Éric"), nil, nil)
	// Another spelling is the same account: updated, not added.
	checkSync(t, sync_(t, s, store.Account{Name: "éRIC", Tenant: "t"}), nil, names("éRIC"), nil)
	got := accounts(t, s)
	if len(got) != 1 || !got["éRIC"].InConfig {
		t.Fatalf("Accounts = %+v, want one account spelled éRIC", got)
	}
}

func testAccountsInvalid(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "keep"})
	for _, tc := range []struct {
		name string
		in   []store.Account
	}{
		{"empty name", []store.Account{{Name: "a"}, {Name: ""}}},
		{"duplicate", []store.Account{{Name: "dup"}, {Name: "other"}, {Name: "DUP"}}},
	} {
		if _, err := s.SyncAccounts(ctx(t), tc.in); err == nil {
			t.Errorf("%s: SyncAccounts accepted %+v", tc.name, tc.in)
		}
	}
	got := accounts(t, s)
	if len(got) != 1 || !got["keep"].InConfig {
		t.Errorf("a rejected sync changed the accounts: %+v", got)
	}
}

func testAccountsMany(t *testing.T, h *harness) {
	s := h.store(t)
	var all []store.Account
	for i := range 2000 {
		all = append(all, store.Account{Name: fmt.Sprintf("user%04d", i), Enabled: true})
	}
	res := sync_(t, s, all...)
	if len(res.Added) != 2000 {
		t.Fatalf("added %d accounts, want 2000", len(res.Added))
	}
	res = sync_(t, s, all[:1500]...)
	if len(res.Added)+len(res.Updated) != 0 || len(res.Removed) != 500 || res.Removed[0] != "user1500" || res.Removed[499] != "user1999" {
		t.Fatalf("second sync: %d added, %d updated, %d removed (%v...), want user1500..user1999 removed",
			len(res.Added), len(res.Updated), len(res.Removed), res.Removed[:min(3, len(res.Removed))])
	}
	got := accounts(t, s)
	in := 0
	for _, a := range got {
		if a.InConfig {
			in++
		}
	}
	if len(got) != 2000 || in != 1500 {
		t.Errorf("Accounts: %d, %d in the configuration; want 2000, 1500", len(got), in)
	}
}

func testTokenUnknown(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "configured"})
	for _, name := range []string{"nobody", "configured"} {
		tok, ok, err := s.LoadToken(ctx(t), name)
		if err != nil || ok || !tok.RefreshToken.IsZero() {
			t.Errorf("LoadToken(%s) = %v, %v, %v; want nothing", name, tok, ok, err)
		}
	}
}

func checkToken(t *testing.T, s store.Store, account string, want store.Token) {
	t.Helper()
	got, ok, err := s.LoadToken(ctx(t), account)
	if err != nil || !ok {
		t.Fatalf("LoadToken(%s) = %v, %v", account, ok, err)
	}
	if got.RefreshToken.Reveal() != want.RefreshToken.Reveal() || got.Seed != want.Seed {
		t.Errorf("LoadToken(%s) = %q seed %q, want %q seed %q", account, got.RefreshToken.Reveal(), got.Seed, want.RefreshToken.Reveal(), want.Seed)
	}
	checkTime(t, "Token.Updated", got.Updated, want.Updated)
}

func testTokenSaveLoad(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "alice"}, store.Account{Name: "bob"})
	t1 := store.Token{RefreshToken: "0.AAAA-first-token", Seed: "seed1", Updated: base}
	must(t, s.SaveToken(ctx(t), "alice", t1))
	checkToken(t, s, "alice", t1)
	if _, ok, _ := s.LoadToken(ctx(t), "bob"); ok {
		t.Error("bob has alice's token")
	}

	t2 := store.Token{RefreshToken: "0.AAAA-rotated", Seed: "seed1", Updated: base.Add(time.Hour)}
	must(t, s.SaveToken(ctx(t), "alice", t2))
	checkToken(t, s, "alice", t2)

	// A zero Updated becomes now.
	before := time.Now().Add(-time.Second)
	must(t, s.SaveToken(ctx(t), "bob", store.Token{RefreshToken: "bob-token"}))
	got, ok, err := s.LoadToken(ctx(t), "bob")
	if err != nil || !ok || got.Updated.Before(before) || got.Updated.After(time.Now().Add(time.Second)) {
		t.Errorf("bob's token = %v (updated %v), %v, %v; want Updated set to now", got, got.Updated, ok, err)
	}

	// An empty token is a value like any other.
	must(t, s.SaveToken(ctx(t), "bob", store.Token{Seed: "s", Updated: base}))
	checkToken(t, s, "bob", store.Token{Seed: "s", Updated: base})
}

func testTokenCaseInsensitive(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "Alice"})
	tok := store.Token{RefreshToken: "rt", Updated: base}
	must(t, s.SaveToken(ctx(t), "ALICE", tok))
	checkToken(t, s, "alice", tok)
	checkToken(t, s, "Alice", tok)
	if got := accounts(t, s); len(got) != 1 {
		t.Errorf("saving under another spelling created an account: %+v", got)
	}
}

func testTokenRenamedAccount(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "alice"})
	tok := store.Token{RefreshToken: "rt-before-rename", Updated: base}
	must(t, s.SaveToken(ctx(t), "alice", tok))
	// The configuration spells the name differently: the token stays usable.
	sync_(t, s, store.Account{Name: "ALICE"})
	checkToken(t, s, "ALICE", tok)
	checkToken(t, s, "alice", tok)
	// Removed from the configuration: the token is kept.
	sync_(t, s)
	checkToken(t, s, "alice", tok)
}

func testTokenUnconfiguredAccount(t *testing.T, h *harness) {
	s := h.store(t)
	tok := store.Token{RefreshToken: "rt", Updated: base}
	must(t, s.SaveToken(ctx(t), "newcomer", tok))
	checkToken(t, s, "newcomer", tok)
	a, ok := accounts(t, s)["newcomer"]
	if !ok || a.InConfig || a.Enabled {
		t.Errorf("account created by SaveToken = %+v (listed %v), want listed, not in the configuration", a, ok)
	}
	checkSync(t, sync_(t, s, store.Account{Name: "Newcomer", Enabled: true}), names("Newcomer"), nil, nil)
	checkToken(t, s, "newcomer", tok)
}

func testTokenCancelledContext(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "alice"})
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	tok := store.Token{RefreshToken: "rotated-at-shutdown", Updated: base}
	if err := s.SaveToken(c, "alice", tok); err != nil {
		t.Fatalf("SaveToken with a cancelled context: %v", err)
	}
	checkToken(t, s, "alice", tok)
}

func results(n int, seed string) []store.ActivityResult {
	out := make([]store.ActivityResult, n)
	for i := range out {
		out[i] = store.ActivityResult{
			Activity:   fmt.Sprintf("%s-activity-%02d", seed, i),
			Workload:   []string{"mail", "files", "users"}[i%3],
			Outcome:    []string{store.OutcomeOK, store.OutcomeFailed, store.OutcomeSkipped}[i%3],
			Status:     []int{200, 429, 0}[i%3],
			Code:       []string{"", "TooManyRequests", ""}[i%3],
			RequestID:  fmt.Sprintf("req-%s-%d", seed, i),
			Message:    []string{"", "throttled; retry after 3s", "no mailbox"}[i%3],
			DurationMs: int64(100 * i),
			Calls:      i%4 + 1,
		}
	}
	return out
}

func round(account string, started time.Time, nResults int) *store.Round {
	return &store.Round{
		Account:  account,
		Started:  started,
		Finished: started.Add(90*time.Second + 987654321),
		Verdict:  store.VerdictDegraded,
		Reason:   "throttled",
		Code:     "TooManyRequests",
		Message:  "2 of 12 activities failed",
		Results:  results(nResults, account+started.Format("150405")),
	}
}

func checkRound(t *testing.T, got store.Round, want *store.Round) {
	t.Helper()
	if got.ID != want.ID || got.Verdict != want.Verdict || got.Reason != want.Reason || got.Code != want.Code || got.Message != want.Message {
		t.Errorf("round = %d %s %q %q %q, want %d %s %q %q %q", got.ID, got.Verdict, got.Reason, got.Code, got.Message,
			want.ID, want.Verdict, want.Reason, want.Code, want.Message)
	}
	if store.FoldName(got.Account) != store.FoldName(want.Account) {
		t.Errorf("round %d of %q, want %q", got.ID, got.Account, want.Account)
	}
	checkTime(t, "Started", got.Started, want.Started)
	checkTime(t, "Finished", got.Finished, want.Finished)
	if len(got.Results) != len(want.Results) {
		t.Fatalf("round %d has %d results, want %d", got.ID, len(got.Results), len(want.Results))
	}
	for i := range want.Results {
		if got.Results[i] != want.Results[i] {
			t.Errorf("round %d result %d = %+v, want %+v", got.ID, i, got.Results[i], want.Results[i])
		}
	}
}

func saveRound(t *testing.T, s store.Store, r *store.Round) {
	t.Helper()
	if err := s.SaveRound(ctx(t), r); err != nil {
		t.Fatalf("SaveRound: %v", err)
	}
	if r.ID == 0 {
		t.Fatal("SaveRound did not set the ID")
	}
}

func rounds(t *testing.T, s store.Store, account string, limit int) []store.Round {
	t.Helper()
	got, err := s.Rounds(ctx(t), account, limit)
	if err != nil {
		t.Fatalf("Rounds(%s, %d): %v", account, limit, err)
	}
	return got
}

func testRoundsUnknown(t *testing.T, h *harness) {
	s := h.store(t)
	if got := rounds(t, s, "nobody", 10); len(got) != 0 {
		t.Errorf("Rounds(nobody) = %+v", got)
	}
	last, err := s.LastRounds(ctx(t))
	if err != nil || len(last) != 0 {
		t.Errorf("LastRounds on an empty store = %+v, %v", last, err)
	}
	sync_(t, s, store.Account{Name: "idle"})
	if got := rounds(t, s, "idle", 0); len(got) != 0 {
		t.Errorf("Rounds(idle) = %+v", got)
	}
	last, err = s.LastRounds(ctx(t))
	if err != nil || len(last) != 0 {
		t.Errorf("LastRounds without rounds = %+v, %v", last, err)
	}
}

func testRoundsRoundTrip(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "alice"})
	full := round("alice", base, 12)
	saveRound(t, s, full)
	// A round that did not finish and ran nothing.
	bare := &store.Round{Account: "alice", Started: base.Add(time.Hour), Verdict: store.VerdictNeedsOwner, Reason: "consent", Code: "AADSTS65001", Message: "the owner must consent"}
	saveRound(t, s, bare)
	// Many results, kept in their order.
	big := round("alice", base.Add(-time.Hour), 150)
	big.Verdict = store.VerdictOK
	saveRound(t, s, big)
	if full.ID == bare.ID || bare.ID == big.ID || full.ID == big.ID {
		t.Fatalf("IDs not distinct: %d %d %d", full.ID, bare.ID, big.ID)
	}
	if !(full.ID < bare.ID && bare.ID < big.ID) {
		t.Errorf("IDs not increasing in saving order: %d %d %d", full.ID, bare.ID, big.ID)
	}
	got := rounds(t, s, "alice", 0)
	if len(got) != 3 {
		t.Fatalf("Rounds = %d rounds, want 3", len(got))
	}
	checkRound(t, got[0], bare)
	checkRound(t, got[1], full)
	checkRound(t, got[2], big)
	if len(got[0].Results) != 0 {
		t.Errorf("round without results came back with %+v", got[0].Results)
	}
	if !got[0].Finished.IsZero() {
		t.Errorf("unfinished round came back finished at %v", got[0].Finished)
	}
	// Saving twice is refused.
	if err := s.SaveRound(ctx(t), full); err == nil {
		t.Error("SaveRound saved a round that already has an ID")
	}
}

func testRoundsOrderAndLimit(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "alice"}, store.Account{Name: "bob"})
	// Saved out of order: newest first means by Started, not by saving order.
	var saved []*store.Round
	for _, hours := range []int{3, 1, 4, 0, 2} {
		r := round("alice", base.Add(time.Duration(hours)*time.Hour), 2)
		saveRound(t, s, r)
		saved = append(saved, r)
		saveRound(t, s, round("bob", base.Add(time.Duration(hours)*time.Hour), 1))
	}
	// Two rounds started at the same time: the later saved is newer.
	tie := round("alice", base.Add(4*time.Hour), 3)
	saveRound(t, s, tie)
	saved = append(saved, tie)
	want := []*store.Round{tie, saved[2], saved[0], saved[4], saved[1], saved[3]}

	for _, tc := range []struct{ limit, n int }{{0, 6}, {-1, 6}, {1, 1}, {3, 3}, {6, 6}, {100, 6}} {
		got := rounds(t, s, "alice", tc.limit)
		if len(got) != tc.n {
			t.Errorf("Rounds(limit %d) = %d rounds, want %d", tc.limit, len(got), tc.n)
			continue
		}
		for i := range got {
			checkRound(t, got[i], want[i])
		}
	}
}

func testRoundsInvalid(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "alice"})
	for name, r := range map[string]*store.Round{
		"nil":             nil,
		"no account":      {Started: base, Verdict: store.VerdictOK},
		"no start":        {Account: "alice", Verdict: store.VerdictOK},
		"unknown verdict": {Account: "alice", Started: base, Verdict: "fine"},
		"unknown outcome": {Account: "alice", Started: base, Verdict: store.VerdictOK, Results: []store.ActivityResult{{Activity: "x", Outcome: "done"}}},
		"already saved":   {ID: 42, Account: "alice", Started: base, Verdict: store.VerdictOK},
	} {
		if err := s.SaveRound(ctx(t), r); err == nil {
			t.Errorf("%s: SaveRound accepted %+v", name, r)
		}
	}
	if got := rounds(t, s, "alice", 0); len(got) != 0 {
		t.Errorf("rejected rounds were saved: %+v", got)
	}
}

func testRoundsCaseInsensitive(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "Alice"})
	r := round("ALICE", base, 2)
	saveRound(t, s, r)
	got := rounds(t, s, "alice", 10)
	if len(got) != 1 {
		t.Fatalf("Rounds(alice) = %d rounds, want 1", len(got))
	}
	checkRound(t, got[0], r)
	if got[0].Account != "Alice" {
		t.Errorf("round of %q, want the stored spelling Alice", got[0].Account)
	}
	last, err := s.LastRounds(ctx(t))
	must(t, err)
	if _, ok := last["Alice"]; !ok || len(last) != 1 {
		t.Errorf("LastRounds keys = %v, want [Alice]", keys(last))
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func testLastRounds(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "a"}, store.Account{Name: "b"}, store.Account{Name: "c"}, store.Account{Name: "idle"})
	want := map[string]*store.Round{}
	for i, name := range []string{"a", "b", "c"} {
		// The newest by Started is saved in the middle.
		older := round(name, base.Add(time.Duration(i)*time.Minute), 12)
		newest := round(name, base.Add(time.Duration(i)*time.Minute+2*time.Hour), 12)
		newest.Verdict = []string{store.VerdictOK, store.VerdictDegraded, store.VerdictNeedsOwner}[i]
		oldest := round(name, base.Add(-time.Hour), 5)
		saveRound(t, s, older)
		saveRound(t, s, newest)
		saveRound(t, s, oldest)
		want[name] = newest
	}
	last, err := s.LastRounds(ctx(t))
	must(t, err)
	if !reflect.DeepEqual(keys(last), []string{"a", "b", "c"}) {
		t.Fatalf("LastRounds keys = %v, want [a b c]", keys(last))
	}
	for name, w := range want {
		checkRound(t, last[name], w)
	}
}

func testRemovedAccountKeepsHistory(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "stay"}, store.Account{Name: "leave"})
	r1 := round("leave", base, 12)
	r2 := round("leave", base.Add(time.Hour), 12)
	saveRound(t, s, r1)
	saveRound(t, s, r2)
	e := &store.JournalEntry{Account: "leave", Activity: "mail.send", Kind: "message", Marker: "m1"}
	must(t, s.JournalRecord(ctx(t), e))

	checkSync(t, sync_(t, s, store.Account{Name: "stay"}), nil, nil, names("leave"))

	got := rounds(t, s, "leave", 0)
	if len(got) != 2 {
		t.Fatalf("rounds of a removed account: %d, want 2 kept", len(got))
	}
	checkRound(t, got[0], r2)
	checkRound(t, got[1], r1)
	last, err := s.LastRounds(ctx(t))
	must(t, err)
	if lr, ok := last["leave"]; !ok || lr.ID != r2.ID {
		t.Errorf("LastRounds lost the removed account's newest round: %v", keys(last))
	}
	pending, err := s.JournalPending(ctx(t), "leave")
	must(t, err)
	if len(pending) != 1 || pending[0].ID != e.ID {
		t.Errorf("journal of a removed account = %+v, want its entry kept for cleanup", pending)
	}
	if a := accounts(t, s)["leave"]; a.InConfig {
		t.Errorf("removed account still in the configuration: %+v", a)
	}
	// Coming back, the history is there.
	sync_(t, s, store.Account{Name: "stay"}, store.Account{Name: "leave"})
	if got := rounds(t, s, "leave", 1); len(got) != 1 || got[0].ID != r2.ID {
		t.Errorf("history after coming back = %+v", got)
	}
}

// run starts n goroutines and waits for them, failing the test with their first error.
func run(t *testing.T, n int, fn func(g int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for g := range n {
		wg.Go(func() {
			if err := fn(g); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func testRoundsConcurrent(t *testing.T, h *harness) {
	s := h.store(t)
	const goroutines, perG, nAccounts = 16, 12, 8
	var accs []store.Account
	for i := range nAccounts {
		accs = append(accs, store.Account{Name: fmt.Sprintf("acct%d", i)})
	}
	sync_(t, s, accs...)
	var mu sync.Mutex
	ids := map[int64]bool{}
	perAccount := map[string]int{}
	run(t, goroutines, func(g int) error {
		for i := range perG {
			name := accs[(g+i)%nAccounts].Name
			r := round(name, base.Add(time.Duration(g*perG+i)*time.Second), 12)
			if err := s.SaveRound(ctx(t), r); err != nil {
				return fmt.Errorf("goroutine %d: SaveRound: %w", g, err)
			}
			// Readers run alongside the writers.
			if i%4 == 0 {
				if _, err := s.LastRounds(ctx(t)); err != nil {
					return fmt.Errorf("goroutine %d: LastRounds: %w", g, err)
				}
				if _, err := s.Rounds(ctx(t), name, 5); err != nil {
					return fmt.Errorf("goroutine %d: Rounds: %w", g, err)
				}
			}
			mu.Lock()
			if ids[r.ID] {
				mu.Unlock()
				return fmt.Errorf("ID %d given twice", r.ID)
			}
			ids[r.ID] = true
			perAccount[name]++
			mu.Unlock()
		}
		return nil
	})
	total := 0
	for _, a := range accs {
		got := rounds(t, s, a.Name, 0)
		if len(got) != perAccount[a.Name] {
			t.Errorf("%s has %d rounds, want %d", a.Name, len(got), perAccount[a.Name])
		}
		for _, r := range got {
			if len(r.Results) != 12 {
				t.Errorf("round %d has %d results, want 12", r.ID, len(r.Results))
			}
		}
		total += len(got)
	}
	if total != goroutines*perG {
		t.Errorf("%d rounds stored, want %d", total, goroutines*perG)
	}
	last, err := s.LastRounds(ctx(t))
	must(t, err)
	if len(last) != nAccounts {
		t.Errorf("LastRounds has %d accounts, want %d", len(last), nAccounts)
	}
}

func pending(t *testing.T, s store.Store, account string) []store.JournalEntry {
	t.Helper()
	got, err := s.JournalPending(ctx(t), account)
	if err != nil {
		t.Fatalf("JournalPending(%s): %v", account, err)
	}
	return got
}

func checkEntry(t *testing.T, got store.JournalEntry, want *store.JournalEntry) {
	t.Helper()
	g, w := got, *want
	checkTime(t, fmt.Sprintf("entry %d Created", got.ID), g.Created, w.Created)
	if store.FoldName(g.Account) != store.FoldName(w.Account) {
		t.Errorf("entry %d of %q, want %q", g.ID, g.Account, w.Account)
	}
	g.Created, w.Created = time.Time{}, time.Time{}
	g.Account, w.Account = "", ""
	if g != w {
		t.Errorf("entry = %+v, want %+v", g, w)
	}
}

func testJournalUnknown(t *testing.T, h *harness) {
	s := h.store(t)
	if got := pending(t, s, "nobody"); len(got) != 0 {
		t.Errorf("JournalPending(nobody) = %+v", got)
	}
	if err := s.JournalDone(ctx(t), 12345); err != nil {
		t.Errorf("JournalDone of an unknown entry: %v", err)
	}
	e := &store.JournalEntry{ID: 777, Account: "nobody", Kind: "message"}
	if err := s.JournalRecord(ctx(t), e); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating an unknown entry: %v, want ErrNotFound", err)
	}
}

func testJournalLifecycle(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "alice"})
	before := time.Now().Add(-time.Second)
	e := &store.JournalEntry{Account: "alice", Activity: "files.upload", Kind: "driveItem", Marker: "e5renew-abc.txt", Ref: "root"}
	must(t, s.JournalRecord(ctx(t), e))
	if e.ID == 0 {
		t.Fatal("JournalRecord did not set the ID")
	}
	if e.Created.Before(before) || e.Created.After(time.Now().Add(time.Second)) {
		t.Errorf("Created = %v, want now", e.Created)
	}
	got := pending(t, s, "alice")
	if len(got) != 1 {
		t.Fatalf("pending = %+v, want one entry", got)
	}
	checkEntry(t, got[0], e)

	// The object was created; then a delete failed.
	e.ObjectID = "01ABCDEF"
	must(t, s.JournalRecord(ctx(t), e))
	e.Attempts++
	e.LastErr = "HTTP 503: service unavailable"
	id := e.ID
	must(t, s.JournalRecord(ctx(t), e))
	if e.ID != id {
		t.Errorf("update changed the ID from %d to %d", id, e.ID)
	}
	got = pending(t, s, "alice")
	if len(got) != 1 {
		t.Fatalf("pending after updates = %+v, want one entry", got)
	}
	checkEntry(t, got[0], e)

	// A given Created is kept.
	e2 := &store.JournalEntry{Account: "alice", Activity: "mail.send", Kind: "message", Marker: "x-e5renew: 1", Created: base}
	must(t, s.JournalRecord(ctx(t), e2))
	got = pending(t, s, "alice")
	if len(got) != 2 {
		t.Fatalf("pending = %d entries, want 2", len(got))
	}
	checkEntry(t, got[1], e2)

	must(t, s.JournalDone(ctx(t), e.ID))
	got = pending(t, s, "alice")
	if len(got) != 1 || got[0].ID != e2.ID {
		t.Fatalf("pending after Done = %+v, want only entry %d", got, e2.ID)
	}
	must(t, s.JournalDone(ctx(t), e.ID)) // twice is fine
	if err := s.JournalRecord(ctx(t), e); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a done entry: %v, want ErrNotFound", err)
	}
	if got := pending(t, s, "alice"); len(got) != 1 {
		t.Errorf("updating a done entry brought it back: %+v", got)
	}

	// Durable writes do not give up on a cancelled context.
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	e3 := &store.JournalEntry{Account: "alice", Kind: "event", Marker: "m3"}
	if err := s.JournalRecord(c, e3); err != nil {
		t.Errorf("JournalRecord with a cancelled context: %v", err)
	}
}

func testJournalOrderAndIsolation(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "Alice"}, store.Account{Name: "bob"})
	var want = map[string][]*store.JournalEntry{}
	for i := range 10 {
		name := []string{"alice", "BOB"}[i%2]
		// Created goes backwards: oldest means first recorded.
		e := &store.JournalEntry{Account: name, Activity: "a", Kind: "k", Marker: fmt.Sprint("m", i), Created: base.Add(-time.Duration(i) * time.Minute)}
		must(t, s.JournalRecord(ctx(t), e))
		want[strings.ToLower(name)] = append(want[strings.ToLower(name)], e)
	}
	for _, name := range []string{"alice", "bob"} {
		got := pending(t, s, strings.ToUpper(name))
		if len(got) != 5 {
			t.Fatalf("pending(%s) = %d entries, want 5", name, len(got))
		}
		for i := range got {
			checkEntry(t, got[i], want[name][i])
			if i > 0 && got[i].ID <= got[i-1].ID {
				t.Errorf("pending(%s) not in ID order: %d after %d", name, got[i].ID, got[i-1].ID)
			}
		}
		if got[0].Account != map[string]string{"alice": "Alice", "bob": "bob"}[name] {
			t.Errorf("entry of %q, want the stored spelling", got[0].Account)
		}
	}
}

func testJournalWrongAccount(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "alice"}, store.Account{Name: "bob"})
	e := &store.JournalEntry{Account: "alice", Kind: "message", Marker: "m"}
	must(t, s.JournalRecord(ctx(t), e))
	stolen := *e
	stolen.Account = "bob"
	stolen.ObjectID = "x"
	if err := s.JournalRecord(ctx(t), &stolen); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating alice's entry as bob: %v, want ErrNotFound", err)
	}
	if got := pending(t, s, "bob"); len(got) != 0 {
		t.Errorf("bob's journal = %+v", got)
	}
	if got := pending(t, s, "alice"); len(got) != 1 || got[0].ObjectID != "" {
		t.Errorf("alice's journal = %+v, want the entry unchanged", got)
	}
}

func testJournalInvalid(t *testing.T, h *harness) {
	s := h.store(t)
	for name, e := range map[string]*store.JournalEntry{
		"nil":        nil,
		"no account": {Kind: "message"},
		"no kind":    {Account: "alice"},
	} {
		if err := s.JournalRecord(ctx(t), e); err == nil {
			t.Errorf("%s: JournalRecord accepted %+v", name, e)
		}
	}
}

func testJournalConcurrent(t *testing.T, h *harness) {
	s := h.store(t)
	const goroutines, perG = 16, 10
	var accs []store.Account
	for i := range 4 {
		accs = append(accs, store.Account{Name: fmt.Sprintf("acct%d", i)})
	}
	sync_(t, s, accs...)
	var mu sync.Mutex
	kept := map[int64]store.JournalEntry{}
	run(t, goroutines, func(g int) error {
		for i := range perG {
			e := &store.JournalEntry{Account: accs[g%len(accs)].Name, Activity: "a", Kind: "k", Marker: fmt.Sprintf("g%d-%d", g, i)}
			if err := s.JournalRecord(ctx(t), e); err != nil {
				return fmt.Errorf("goroutine %d: insert: %w", g, err)
			}
			e.ObjectID = "obj-" + e.Marker
			if err := s.JournalRecord(ctx(t), e); err != nil {
				return fmt.Errorf("goroutine %d: update: %w", g, err)
			}
			if i%3 == 0 {
				if err := s.JournalDone(ctx(t), e.ID); err != nil {
					return fmt.Errorf("goroutine %d: done: %w", g, err)
				}
				continue
			}
			if _, err := s.JournalPending(ctx(t), e.Account); err != nil {
				return fmt.Errorf("goroutine %d: pending: %w", g, err)
			}
			mu.Lock()
			if _, dup := kept[e.ID]; dup {
				mu.Unlock()
				return fmt.Errorf("ID %d given twice", e.ID)
			}
			kept[e.ID] = *e
			mu.Unlock()
		}
		return nil
	})
	n := 0
	for _, a := range accs {
		for _, e := range pending(t, s, a.Name) {
			w, ok := kept[e.ID]
			if !ok {
				t.Errorf("unexpected entry %+v", e)
				continue
			}
			checkEntry(t, e, &w)
			n++
		}
	}
	if n != len(kept) {
		t.Errorf("%d entries pending, want %d", n, len(kept))
	}
}

func testReopen(t *testing.T, h *harness) {
	s := h.open(t)
	sync_(t, s, store.Account{Name: "Alice", Type: "refresh_token", Tenant: "t", ClientID: "c", User: "u", Enabled: true}, store.Account{Name: "bob"})
	tok := store.Token{RefreshToken: "rt-kept", Seed: "seed", Updated: base}
	must(t, s.SaveToken(ctx(t), "alice", tok))
	r := round("alice", base, 12)
	saveRound(t, s, r)
	e1 := &store.JournalEntry{Account: "alice", Activity: "a", Kind: "k", Marker: "m1", ObjectID: "o1", Attempts: 2, LastErr: "boom"}
	must(t, s.JournalRecord(ctx(t), e1))
	e2 := &store.JournalEntry{Account: "alice", Kind: "k", Marker: "m2"}
	must(t, s.JournalRecord(ctx(t), e2))
	must(t, s.JournalDone(ctx(t), e2.ID)) // the highest ID, gone
	sync_(t, s, store.Account{Name: "Alice", Type: "refresh_token", Tenant: "t", ClientID: "c", User: "u", Enabled: true})
	before := accounts(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = h.store(t)
	after := accounts(t, s)
	if len(after) != 2 {
		t.Fatalf("accounts after reopening = %+v", after)
	}
	for name, a := range before {
		b := after[name]
		if !sameConfig(a, b) || a.InConfig != b.InConfig || !a.FirstSeen.Equal(b.FirstSeen) || !a.LastSeen.Equal(b.LastSeen) {
			t.Errorf("account %s after reopening = %+v, want %+v", name, b, a)
		}
	}
	checkToken(t, s, "Alice", tok)
	got := rounds(t, s, "alice", 10)
	if len(got) != 1 {
		t.Fatalf("rounds after reopening = %d, want 1", len(got))
	}
	checkRound(t, got[0], r)
	p := pending(t, s, "alice")
	if len(p) != 1 {
		t.Fatalf("journal after reopening = %+v, want entry %d", p, e1.ID)
	}
	checkEntry(t, p[0], e1)

	// Ids go on, never reused.
	r2 := round("alice", base.Add(time.Hour), 1)
	saveRound(t, s, r2)
	if r2.ID <= r.ID {
		t.Errorf("round ID after reopening %d, want > %d", r2.ID, r.ID)
	}
	e3 := &store.JournalEntry{Account: "alice", Kind: "k", Marker: "m3"}
	must(t, s.JournalRecord(ctx(t), e3))
	if e3.ID <= e2.ID {
		t.Errorf("journal ID after reopening %d, want > %d (never reused)", e3.ID, e2.ID)
	}
	// And the reopened store writes and reads as before.
	tok2 := store.Token{RefreshToken: secret.String("rt-after-reopen"), Updated: base.Add(time.Minute)}
	must(t, s.SaveToken(ctx(t), "alice", tok2))
	checkToken(t, s, "alice", tok2)
}
