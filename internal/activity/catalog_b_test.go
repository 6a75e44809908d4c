package activity_test

import (
	"context"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/activity"
)

// Tests for the OneDrive, SharePoint, Teams, people and directory activities.

var catalogBWrites = []string{"onedrive.upload", "onedrive.create_folder", "sharepoint.create_item", "teams.online_meeting"}

func catalogBModes(a *activity.Activity) []bool {
	if a.AppOnly() {
		return []bool{true, false}
	}
	return []bool{true}
}

func catalogBModeName(delegated bool) string {
	return map[bool]string{true: "delegated", false: "app"}[delegated]
}

// An entry whose create answer was lost (no id) is found again by its marker and deleted,
// containers included.
func TestCatalogBCleanupFindsObjectsByMarker(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	ctx := context.Background()
	for _, name := range catalogBWrites {
		a, ok := activity.Lookup(name)
		if !ok {
			t.Fatalf("%s is not registered", name)
		}
		for _, delegated := range catalogBModes(a) {
			t.Run(name+"/"+catalogBModeName(delegated), func(t *testing.T) {
				j := activity.NewMemoryJournal()
				x := w.exec(delegated, j, 7)
				if err := a.Run(ctx, x); err != nil {
					t.Fatal(err)
				}
				entries, _ := j.Pending(ctx, x.Account)
				if len(entries) == 0 {
					t.Fatal("nothing journaled")
				}
				for _, e := range entries {
					if e.ObjectID == "" || e.Marker == "" {
						t.Fatalf("entry %+v: the id and a marker should be known after a successful create", e)
					}
					e.ObjectID = "" // as if the answer to the create call had been lost
					_ = j.Record(ctx, e)
				}
				res := activity.Cleanup(ctx, x)
				if res.Deleted != len(entries) || len(res.Failures) > 0 || j.Len() != 0 || w.em.Stats().LiveArtifactsTotal != 0 {
					t.Fatalf("cleanup by marker: %+v, %d left, artifacts %v", res, j.Len(), w.em.Stats().LiveArtifacts)
				}
			})
		}
	}
}

// A meeting journaled but never created (the createOrGet request never arrived) is created
// by the finder's createOrGet and deleted at once: nothing is left either way.
func TestCatalogBMeetingNeverCreated(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	ctx := context.Background()
	j := activity.NewMemoryJournal()
	x := w.exec(true, j, 3)
	_ = j.Record(ctx, &activity.Entry{Account: x.Account, Activity: "teams.online_meeting", Kind: "teams.meeting",
		Marker: "e5renew-1c2a3b4-0badf00d", Created: time.Now()})
	res := activity.Cleanup(ctx, x)
	if res.Deleted != 1 || j.Len() != 0 || w.em.Stats().LiveArtifactsTotal != 0 {
		t.Fatalf("cleanup: %+v, %d left, artifacts %v", res, j.Len(), w.em.Stats().LiveArtifacts)
	}
}

// A round folder left by an earlier round whose journal was lost is found by the sweep once
// its marker is hours old, journaled, and deleted with what is in it by the cleanup of a
// round that made its own folder meanwhile.
func TestCatalogBLeftoverDriveFolder(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	ctx := context.Background()
	for _, delegated := range []bool{true, false} {
		t.Run(catalogBModeName(delegated), func(t *testing.T) {
			up, _ := activity.Lookup("onedrive.upload")
			mk, _ := activity.Lookup("onedrive.create_folder")
			lost := activity.NewMemoryJournal()
			if err := up.Run(ctx, w.exec(delegated, lost, 11)); err != nil {
				t.Fatal(err)
			}
			if n := w.em.Stats().LiveArtifactsTotal; n != 2 {
				t.Fatalf("want the folder and the file, have %d artifacts", n)
			}
			j := activity.NewMemoryJournal()
			x := w.exec(delegated, j, 12)
			later := time.Now().Add(activity.SweepAge + time.Minute)
			x.Now = func() time.Time { return later }
			if res := activity.Sweep(ctx, x, activity.SweepAge); len(res.Failures) > 0 || res.Journaled != 1 {
				t.Fatalf("sweep: %+v %v", res, res.Failures)
			}
			if err := mk.Run(ctx, x); err != nil {
				t.Fatal(err)
			}
			if n := w.em.Stats().LiveArtifactsTotal; n != 4 {
				t.Fatalf("want both rounds' folders and what is in them, have %v", w.em.Stats().LiveArtifacts)
			}
			if res := activity.Cleanup(ctx, x); len(res.Failures) > 0 || j.Len() != 0 {
				t.Fatalf("cleanup: %+v", res)
			}
			if st := w.em.Stats(); st.LiveArtifactsTotal != 0 {
				t.Fatalf("left behind: %v", st.LiveArtifacts)
			}
			// The lost journal's entries, if they come back, find their objects gone.
			xl := w.exec(delegated, lost, 13)
			if res := activity.Cleanup(ctx, xl); len(res.Failures) > 0 || lost.Len() != 0 {
				t.Fatalf("stale entries: %+v, %d left", res, lost.Len())
			}
		})
	}
}

// Two rounds on one drive (a delegated and an app-only account of the same user) each
// upload into their own folder: one round's cleanup never deletes the folder the other is
// still using, and a recent folder of another round is not swept as a leftover.
func TestCatalogBConcurrentRoundsOnOneDrive(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	ctx := context.Background()
	up, _ := activity.Lookup("onedrive.upload")
	mk, _ := activity.Lookup("onedrive.create_folder")
	ja, jb := activity.NewMemoryJournal(), activity.NewMemoryJournal()
	a, b := w.exec(true, ja, 31), w.exec(false, jb, 32)
	if err := up.Run(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := up.Run(ctx, b); err != nil {
		t.Fatal(err)
	}
	if res := activity.Sweep(ctx, a, activity.SweepAge); len(res.Failures) > 0 || res.Journaled != 0 || res.Young != 1 || res.Known != 1 {
		t.Fatalf("round a's sweep: %+v (want its own folder known and round b's young)", res)
	}
	if res := activity.Cleanup(ctx, a); len(res.Failures) > 0 || ja.Len() != 0 {
		t.Fatalf("cleanup of round a: %+v", res)
	}
	// Round b goes on in its folder after round a cleaned up.
	if err := mk.Run(ctx, b); err != nil {
		t.Fatalf("round b after round a's cleanup: %v", err)
	}
	if n := w.em.Stats().LiveArtifactsTotal; n != 3 {
		t.Fatalf("round b's folder, file and subfolder should be there, have %v", w.em.Stats().LiveArtifacts)
	}
	if res := activity.Cleanup(ctx, b); len(res.Failures) > 0 || jb.Len() != 0 {
		t.Fatalf("cleanup of round b: %+v", res)
	}
	if st := w.em.Stats(); st.LiveArtifactsTotal != 0 {
		t.Fatalf("left behind: %v", st.LiveArtifacts)
	}
}

// The SharePoint list "e5renew" is created once and reused by later rounds and by the
// application account.
func TestCatalogBSharePointListReused(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	ctx := context.Background()
	a, _ := activity.Lookup("sharepoint.create_item")
	for i, delegated := range []bool{true, false, true, false} {
		j := activity.NewMemoryJournal()
		x := w.exec(delegated, j, uint64(20+i))
		if err := a.Run(ctx, x); err != nil {
			t.Fatal(err)
		}
		if res := activity.Cleanup(ctx, x); len(res.Failures) > 0 || j.Len() != 0 {
			t.Fatalf("cleanup: %+v", res)
		}
	}
	st := w.em.Stats()
	lists := 0
	for _, kinds := range st.PermanentArtifacts {
		lists += kinds["list"]
	}
	if lists != 1 || st.Requests["POST /sites/{id}/lists 201"] != 1 || st.LiveArtifactsTotal != 0 {
		t.Fatalf("want one list made once; permanent %v, live %v, requests %v", st.PermanentArtifacts, st.LiveArtifacts, st.Requests)
	}
}

// The calls reach Graph in the intended form: the download follows the 302 to the
// pre-authenticated URL, the directory search is an advanced query that is answered.
func TestCatalogBRequestShapes(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	ctx := context.Background()
	for _, name := range []string{"onedrive.download", "directory.search_users", "onedrive.search", "teams.channels"} {
		a, _ := activity.Lookup(name)
		if err := a.Run(ctx, w.exec(true, activity.NewMemoryJournal(), 5)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	req := w.em.Stats().Requests
	for _, k := range []string{"GET /me/drive/items/{id}/content 302", "GET /users 200", "GET /me/drive/root/search(q={q}) 200",
		"GET /teams/{id}/channels 200"} {
		if req[k] != 1 {
			t.Errorf("want one %q; requests %v", k, req)
		}
	}
}
