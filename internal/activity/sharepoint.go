package activity

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
)

// SharePoint: the root site, site search, lists and list items. Items are written into a
// list "e5renew" on the root site, created once and reused: Graph offers no DELETE for lists
// in the official permission data.

const spListName = "e5renew"

type spList struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	List        struct {
		Template string `json:"template"`
		Hidden   bool   `json:"hidden"`
	} `json:"list"`
}

type spItem struct {
	ID     string `json:"id"`
	Fields struct {
		Title string `json:"Title"`
	} `json:"fields"`
}

var spSearchTerms = []string{"team", "dev", "project", "site", "contoso", "communication", "developers", "marketing", "hr"}

// spRootSite returns the id of the tenant's root site, read once per round.
func (x *Exec) spRootSite(ctx context.Context) (string, error) {
	return x.Container(ctx, "sharepoint.root_site", func() (string, error) {
		var s idOnly
		err := x.Get(ctx, "/sites/root", Q("$select", "id,displayName,webUrl"), &s)
		return s.ID, err
	})
}

// spLists lists the lists of a site.
func (x *Exec) spLists(ctx context.Context, site string) ([]spList, error) {
	var page list[spList]
	err := x.Get(ctx, "/sites/"+site+"/lists", Q("$select", "id,displayName,list", "$top", "100"), &page)
	return page.Value, err
}

// spFindList returns the id of the "e5renew" list of a site; "" when there is none.
func (x *Exec) spFindList(ctx context.Context, site string) (string, error) {
	var id string
	err := each(ctx, x, "/sites/"+site+"/lists", Q("$select", "id,displayName,list", "$top", "100"), 5000, func(l spList) error {
		if id == "" && strings.EqualFold(l.DisplayName, spListName) {
			id = l.ID
		}
		return nil
	})
	return id, err
}

// spContainerList returns the path "/sites/{site}/lists/{list}" of the "e5renew" list on
// the root site, found by name or created (once, ever), resolved once per round.
func (x *Exec) spContainerList(ctx context.Context) (string, error) {
	site, err := x.spRootSite(ctx)
	if err != nil {
		return "", err
	}
	id, err := x.Container(ctx, "sharepoint.list", func() (string, error) {
		find := func() (string, error) { return x.spFindList(ctx, site) }
		if id, err := find(); err != nil || id != "" {
			return id, err
		}
		// Not journaled: a list cannot be deleted through Graph's documented permissions, so
		// it is made once and found by name from then on.
		var l idOnly
		err := x.Send(ctx, "POST", "/sites/"+site+"/lists", map[string]any{
			"displayName": spListName, "description": "Test items written by e5renew (each is deleted after the run)",
			"list": map[string]any{"template": "genericList"}}, &l)
		if ge, ok := graph.AsError(err); ok && (ge.Status == http.StatusConflict || ge.Uncertain) {
			// Made meanwhile, or the answer was lost: look again.
			if id, ferr := find(); ferr == nil && id != "" {
				return id, nil
			}
		}
		return l.ID, err
	})
	if err != nil {
		return "", err
	}
	return "/sites/" + site + "/lists/" + id, nil
}

// findSPItem finds an item of the list at e.Ref whose Title contains the marker.
func findSPItem(ctx context.Context, x *Exec, e *Entry) (string, error) {
	var page list[spItem]
	if err := x.Get(ctx, e.Ref+"/items", Q("$expand", "fields($select=Title)", "$top", "200"), &page); err != nil {
		return "", err
	}
	for _, it := range page.Value {
		if strings.Contains(it.Fields.Title, e.Marker) {
			return it.ID, nil
		}
	}
	return "", nil
}

// sweepSPItems lists the items of the "e5renew" list on the root site and returns those
// whose Title carries a marker. It does not make the list when there is none: then there
// is nothing to sweep.
func sweepSPItems(ctx context.Context, x *Exec) ([]Swept, error) {
	site, err := x.spRootSite(ctx)
	if err != nil {
		return nil, err
	}
	id, err := x.spFindList(ctx, site)
	if err != nil || id == "" {
		return nil, err
	}
	lst := "/sites/" + site + "/lists/" + id
	var out []Swept
	err = each(ctx, x, lst+"/items", Q("$expand", "fields($select=Title)", "$top", "200"), 5000, func(it struct {
		spItem
		Created time.Time `json:"createdDateTime"`
	}) error {
		if m := FindMarker(it.Fields.Title); m != "" {
			out = append(out, Swept{ID: it.ID, Marker: m, Ref: lst, Created: it.Created})
		}
		return nil
	})
	return out, err
}

func init() {
	registerKind(
		&Kind{Name: "sharepoint.item", Order: 10,
			Delete: deleteAt(func(_ *Exec, e *Entry) string { return e.Ref + "/items/" + e.ObjectID }),
			Find:   findSPItem, Sweep: sweepSPItems,
			SweepCalls: []Call{{Method: "GET", Path: "/sites/root"}, {Method: "GET", Path: "/sites/{id}/lists"},
				{Method: "GET", Path: "/sites/{id}/lists/{id}/items"}}},
	)

	register(
		&Activity{Name: "sharepoint.root_site", Workload: SharePoint, Title: i18n.Text{EN: "Read the root SharePoint site", ZH: "读取 SharePoint 根网站"},
			Calls:     []Call{{Method: "GET", Path: "/sites/root"}},
			Delegated: []string{"Sites.Read.All"}, Application: []string{"Sites.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, "/sites/root", Q("$select", "id,displayName,description,webUrl,createdDateTime"), nil)
			}},
		&Activity{Name: "sharepoint.search_sites", Workload: SharePoint, Title: i18n.Text{EN: "Search SharePoint sites", ZH: "搜索 SharePoint 网站"},
			Calls:     []Call{{Method: "GET", Path: "/sites"}},
			Delegated: []string{"Sites.Read.All"}, Application: []string{"Sites.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, "/sites", Q("search", spSearchTerms[x.Rand.IntN(len(spSearchTerms))], "$select", "id,displayName,webUrl"), nil)
			}},
		&Activity{Name: "sharepoint.lists", Workload: SharePoint, Title: i18n.Text{EN: "List the root site's lists", ZH: "列出根网站的列表"},
			Calls:     []Call{{Method: "GET", Path: "/sites/root"}, {Method: "GET", Path: "/sites/{id}/lists"}},
			Delegated: []string{"Sites.Read.All"}, Application: []string{"Sites.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				site, err := x.spRootSite(ctx)
				if err != nil {
					return err
				}
				_, err = x.spLists(ctx, site)
				return err
			}},
		&Activity{Name: "sharepoint.list_items", Workload: SharePoint, Title: i18n.Text{EN: "Read the items of a SharePoint list", ZH: "读取 SharePoint 列表项"},
			Calls:     []Call{{Method: "GET", Path: "/sites/root"}, {Method: "GET", Path: "/sites/{id}/lists"}, {Method: "GET", Path: "/sites/{id}/lists/{id}/items"}},
			Delegated: []string{"Sites.Read.All"}, Application: []string{"Sites.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				site, err := x.spRootSite(ctx)
				if err != nil {
					return err
				}
				lists, err := x.spLists(ctx, site)
				if err != nil {
					return err
				}
				var visible []spList
				for _, l := range lists {
					if !l.List.Hidden {
						visible = append(visible, l)
					}
				}
				if len(visible) == 0 {
					return Skip("the root site has no list")
				}
				l := visible[x.Rand.IntN(len(visible))]
				return x.Get(ctx, "/sites/"+site+"/lists/"+l.ID+"/items", Q("$expand", "fields", "$top", "20"), nil)
			}},
		&Activity{Name: "sharepoint.create_item", Workload: SharePoint, Write: true,
			Title: i18n.Text{EN: "Add an item to a SharePoint list, then delete it", ZH: "向 SharePoint 列表添加一项，随后删除"},
			Calls: []Call{{Method: "GET", Path: "/sites/root"}, {Method: "GET", Path: "/sites/{id}/lists"}, {Method: "POST", Path: "/sites/{id}/lists"},
				{Method: "POST", Path: "/sites/{id}/lists/{id}/items"}, {Method: "DELETE", Path: "/sites/{id}/lists/{id}/items/{id}"},
				{Method: "GET", Path: "/sites/{id}/lists/{id}/items"}},
			// Sites.Manage.All creates the "e5renew" list (once); with a delegated token nothing
			// less does, and Sites.ReadWrite.All, which writes items, does not.
			Delegated: []string{"Sites.ReadWrite.All", "Sites.Manage.All"}, Application: []string{"Sites.ReadWrite.All"},
			Run: func(ctx context.Context, x *Exec) error {
				lst, err := x.spContainerList(ctx)
				if err != nil {
					return err
				}
				marker := x.Marker()
				_, err = x.Create(ctx, "sharepoint.create_item", "sharepoint.item", marker, lst, func() (string, error) {
					var it idOnly
					err := x.Send(ctx, "POST", lst+"/items", map[string]any{
						"fields": map[string]any{"Title": x.Content.Task() + " (" + marker + ")"}}, &it)
					return it.ID, err
				})
				return err
			}},
	)
}
