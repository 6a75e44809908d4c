package activity

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
)

// OneNote: notebooks, sections and pages; a page written into e5renew's own section.

// oneNoteName names the notebook and the section pages are written to. Graph has no DELETE for
// notebooks or sections, so they are made once, found again by this name and reused.
const oneNoteName = "e5renew"

const oneNoteAppNote = "OneNote refuses app-only tokens since 31 March 2025 (401 error 40001); delegated sign-in only."

type oneNoteEntity struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// oneNoteFind returns the id of the entity named oneNoteName in collection; "" when there is
// none.
func oneNoteFind(ctx context.Context, x *Exec, collection string) (string, error) {
	var page list[oneNoteEntity]
	if err := x.Get(ctx, collection, Q("$filter", "displayName eq '"+oneNoteName+"'", "$select", "id,displayName"), &page); err != nil {
		return "", err
	}
	for _, o := range page.Value {
		if strings.EqualFold(o.DisplayName, oneNoteName) {
			return o.ID, nil
		}
	}
	return "", nil
}

// oneNoteFindOrCreate returns the id of the entity named oneNoteName in collection, creating
// it when missing. A create refused with 409 (made meanwhile, or a lost answer retried) is
// followed by another look.
func oneNoteFindOrCreate(ctx context.Context, x *Exec, collection string) (string, error) {
	if id, err := oneNoteFind(ctx, x, collection); err != nil || id != "" {
		return id, err
	}
	var created oneNoteEntity
	err := x.Send(ctx, "POST", collection, map[string]any{"displayName": oneNoteName}, &created)
	if ge, ok := graph.AsError(err); ok && ge.Status == http.StatusConflict {
		return oneNoteFind(ctx, x, collection)
	}
	return created.ID, err
}

// sweepOneNotePages lists the pages of e5renew's section and returns those whose title
// carries a marker. It makes neither the notebook nor the section: without them there is
// nothing to sweep.
func sweepOneNotePages(ctx context.Context, x *Exec) ([]Swept, error) {
	nb, err := oneNoteFind(ctx, x, x.P("/onenote/notebooks"))
	if err != nil || nb == "" {
		return nil, err
	}
	section, err := oneNoteFind(ctx, x, x.P("/onenote/notebooks/"+nb+"/sections"))
	if err != nil || section == "" {
		return nil, err
	}
	var out []Swept
	err = each(ctx, x, x.P("/onenote/sections/"+section+"/pages"), Q("$select", "id,title,createdDateTime", "$top", "100"), 5000,
		func(p struct {
			ID      string    `json:"id"`
			Title   string    `json:"title"`
			Created time.Time `json:"createdDateTime"`
		}) error {
			if m := FindMarker(p.Title); m != "" {
				out = append(out, Swept{ID: p.ID, Marker: m, Ref: section, Created: p.Created})
			}
			return nil
		})
	return out, err
}

// oneNoteSection resolves e5renew's section (in e5renew's notebook) once per round.
func oneNoteSection(ctx context.Context, x *Exec) (string, error) {
	return x.Container(ctx, "onenote.section", func() (string, error) {
		nb, err := oneNoteFindOrCreate(ctx, x, x.P("/onenote/notebooks"))
		if err != nil || nb == "" {
			return "", err
		}
		return oneNoteFindOrCreate(ctx, x, x.P("/onenote/notebooks/"+nb+"/sections"))
	})
}

// findPageByTitle looks for the page whose title carries the marker in the section kept in
// the entry's Ref.
func findPageByTitle(ctx context.Context, x *Exec, e *Entry) (string, error) {
	if e.Ref == "" {
		return "", nil
	}
	var page list[struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}]
	if err := x.Get(ctx, x.P("/onenote/sections/"+e.Ref+"/pages"), Q("$select", "id,title", "$top", "100"), &page); err != nil {
		return "", err
	}
	for _, p := range page.Value {
		if strings.Contains(p.Title, e.Marker) {
			return p.ID, nil
		}
	}
	return "", nil
}

func init() {
	registerKind(
		&Kind{Name: "onenote.page", Order: 10,
			Delete: deleteAt(func(x *Exec, e *Entry) string { return x.P("/onenote/pages/" + e.ObjectID) }),
			Find:   findPageByTitle, Sweep: sweepOneNotePages, SweepDelegatedOnly: true, // see oneNoteAppNote
			SweepCalls: []Call{{Method: "GET", Path: "/me/onenote/notebooks"}, {Method: "GET", Path: "/me/onenote/notebooks/{id}/sections"},
				{Method: "GET", Path: "/me/onenote/sections/{id}/pages"}}},
	)

	register(
		&Activity{Name: "onenote.list_notebooks", Workload: OneNote, Title: i18n.Text{EN: "List OneNote notebooks", ZH: "列出 OneNote 笔记本"},
			Calls:     []Call{{Method: "GET", Path: "/me/onenote/notebooks"}},
			Delegated: []string{"Notes.Create"}, AppNote: oneNoteAppNote,
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/onenote/notebooks"), Q("$select", "id,displayName,lastModifiedDateTime", "$orderby", "lastModifiedDateTime desc"), nil)
			}},
		&Activity{Name: "onenote.list_sections", Workload: OneNote, Title: i18n.Text{EN: "List OneNote sections", ZH: "列出 OneNote 分区"},
			Calls:     []Call{{Method: "GET", Path: "/me/onenote/sections"}},
			Delegated: []string{"Notes.Create"}, AppNote: oneNoteAppNote,
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/onenote/sections"), Q("$select", "id,displayName,parentNotebook", "$top", "20"), nil)
			}},
		&Activity{Name: "onenote.list_pages", Workload: OneNote, Title: i18n.Text{EN: "List recent OneNote pages", ZH: "列出最近的 OneNote 页面"},
			Calls:     []Call{{Method: "GET", Path: "/me/onenote/pages"}},
			Delegated: []string{"Notes.Read"}, AppNote: oneNoteAppNote,
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/onenote/pages"), Q("$top", "10", "$select", "id,title,createdDateTime,lastModifiedDateTime"), nil)
			}},
		&Activity{Name: "onenote.create_page", Workload: OneNote, Write: true,
			Title: i18n.Text{EN: "Write a OneNote page, then delete it", ZH: "写一个 OneNote 页面，随后删除"},
			Calls: []Call{{Method: "GET", Path: "/me/onenote/notebooks"}, {Method: "POST", Path: "/me/onenote/notebooks"},
				{Method: "GET", Path: "/me/onenote/notebooks/{id}/sections"}, {Method: "POST", Path: "/me/onenote/notebooks/{id}/sections"},
				{Method: "POST", Path: "/me/onenote/sections/{id}/pages"}, {Method: "DELETE", Path: "/me/onenote/pages/{id}"},
				{Method: "GET", Path: "/me/onenote/sections/{id}/pages"}},
			Delegated: []string{"Notes.ReadWrite"}, AppNote: oneNoteAppNote,
			Run: func(ctx context.Context, x *Exec) error {
				section, err := oneNoteSection(ctx, x)
				if err != nil {
					return err
				}
				marker := x.Marker()
				title := x.Content.Subject() + " · " + marker
				_, err = x.Create(ctx, "onenote.create_page", "onenote.page", marker, section, func() (string, error) {
					resp, err := x.Do(ctx, graph.Request{Method: "POST", Path: x.P("/onenote/sections/" + section + "/pages"),
						Body: x.Content.HTML(title), ContentType: "text/html"})
					if err != nil {
						return "", err
					}
					var p idOnly
					err = resp.JSON(&p)
					return p.ID, err
				})
				return err
			}},
	)
}
