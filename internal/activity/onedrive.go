package activity

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
)

// OneDrive: the drive, its root, recent files, search, downloads, and uploads into a
// per-round folder that cleanup deletes with whatever is left in it.

// Each round uploads into its own folder in the drive root, named by a fresh marker
// ("e5renew-1c2a3b4-9f1e2d3c"). It is journaled (kind onedrive.folder, ordered after its
// contents), so cleanup removes it and anything in it, including files whose create answer
// was lost. A folder per round, rather than one shared "e5renew" folder, matters when two
// accounts (say a delegated and an app-only one) reach the same drive: one round's cleanup
// can never delete the folder another round is uploading into. A folder whose journal was
// lost is found by the kind's sweep: its name is a marker, and the marker says when it was
// made.

type driveItem struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Size int64  `json:"size"`
	File *struct {
		MimeType string `json:"mimeType"`
	} `json:"file"`
	Folder *struct {
		ChildCount int `json:"childCount"`
	} `json:"folder"`
}

// driveSearchTerms are what a developer types into a drive search box.
var driveSearchTerms = []string{"notes", "plan", "report", "design", "budget", "test", "会议", "纪要", "api"}

// driveContainer returns the id of this round's folder in the drive root, creating it
// once per round and journaling it so that cleanup deletes it.
func (x *Exec) driveContainer(ctx context.Context, activity string) (string, error) {
	return x.Container(ctx, "onedrive.folder", func() (string, error) {
		name := x.Marker()
		id, err := x.Create(ctx, activity, "onedrive.folder", name, "", func() (string, error) {
			var f idOnly
			err := x.Send(ctx, "POST", x.P("/drive/root/children"), map[string]any{
				"name": name, "folder": map[string]any{}, "@microsoft.graph.conflictBehavior": "fail"}, &f)
			return f.ID, err
		})
		if ge, ok := graph.AsError(err); ok && (ge.Status == http.StatusConflict || ge.Uncertain) {
			// The answer to an earlier try was lost but the folder was made: use it, and
			// journal it again (a refused create's entry is already closed).
			if found, ferr := x.driveFolderID(ctx, name); ferr == nil && found != "" {
				return x.Create(ctx, activity, "onedrive.folder", name, "", func() (string, error) { return found, nil })
			}
		}
		return id, err
	})
}

// isRoundFolderName reports whether name is a round's folder: a marker, or the plain
// "e5renew" of versions before folders were per round.
func isRoundFolderName(name string) bool { return name == "e5renew" || IsMarker(name) }

// sweepDriveFolders lists the round folders in the drive root. Files and folders made in one
// go with it.
func sweepDriveFolders(ctx context.Context, x *Exec) ([]Swept, error) {
	var out []Swept
	err := each(ctx, x, x.P("/drive/root/children"), Q("$select", "id,name,folder,createdDateTime", "$top", "200"), 5000,
		func(it struct {
			driveItem
			Created time.Time `json:"createdDateTime"`
		}) error {
			if it.Folder != nil && isRoundFolderName(it.Name) {
				out = append(out, Swept{ID: it.ID, Marker: it.Name, Created: it.Created})
			}
			return nil
		})
	return out, err
}

// driveFolderID finds a folder in the drive root by name; "" when there is none.
func (x *Exec) driveFolderID(ctx context.Context, name string) (string, error) {
	var f idOnly
	err := x.Get(ctx, x.P("/drive/root:/"+name), Q("$select", "id,name,folder"), &f)
	if notFound(err) {
		return "", nil
	}
	return f.ID, err
}

// findDriveChild finds an item in the container folder (e.Ref) whose name contains the
// marker. A container that is gone took the item with it.
func findDriveChild(ctx context.Context, x *Exec, e *Entry) (string, error) {
	if e.Ref == "" {
		return "", nil
	}
	var page list[driveItem]
	if err := x.Get(ctx, x.P("/drive/items/"+e.Ref+"/children"), Q("$select", "id,name", "$top", "200"), &page); err != nil {
		return "", err
	}
	for _, it := range page.Value {
		if strings.Contains(it.Name, e.Marker) {
			return it.ID, nil
		}
	}
	return "", nil
}

func driveItemPath(x *Exec, e *Entry) string { return x.P("/drive/items/" + e.ObjectID) }

// driveFileName is a plausible text file name carrying the marker.
func (x *Exec) driveFileName(marker string) string {
	name := x.Content.FileName(".txt")
	return strings.TrimSuffix(name, ".txt") + "-" + marker + ".txt"
}

var driveContainerCalls = []Call{{Method: "GET", Path: "/me/drive/root:/{path}"}, {Method: "POST", Path: "/me/drive/root/children"},
	{Method: "DELETE", Path: "/me/drive/items/{id}"}, {Method: "GET", Path: "/me/drive/items/{id}/children"}}

func init() {
	registerKind(
		&Kind{Name: "onedrive.item", Order: 10, Delete: deleteAt(driveItemPath), Find: findDriveChild},
		&Kind{Name: "onedrive.folder", Order: 50, Delete: deleteAt(driveItemPath),
			Find:       func(ctx context.Context, x *Exec, e *Entry) (string, error) { return x.driveFolderID(ctx, e.Marker) },
			Sweep:      sweepDriveFolders,
			SweepCalls: []Call{{Method: "GET", Path: "/me/drive/root/children"}}},
	)

	register(
		&Activity{Name: "onedrive.drive", Workload: OneDrive, Title: i18n.Text{EN: "Read the OneDrive drive", ZH: "读取 OneDrive 云盘信息"},
			Calls:     []Call{{Method: "GET", Path: "/me/drive"}},
			Delegated: []string{"Files.Read"}, Application: []string{"Files.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/drive"), Q("$select", "id,driveType,name,owner,quota,webUrl"), nil)
			}},
		&Activity{Name: "onedrive.root_children", Workload: OneDrive, Title: i18n.Text{EN: "List the files in the OneDrive root", ZH: "列出 OneDrive 根目录的文件"},
			Calls:     []Call{{Method: "GET", Path: "/me/drive/root/children"}},
			Delegated: []string{"Files.Read"}, Application: []string{"Files.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/drive/root/children"), Q("$top", "25", "$select", "id,name,size,lastModifiedDateTime,file,folder"), nil)
			}},
		&Activity{Name: "onedrive.recent", Workload: OneDrive, Title: i18n.Text{EN: "List recently used files", ZH: "列出最近使用的文件"},
			Calls:     []Call{{Method: "GET", Path: "/me/drive/recent"}},
			Delegated: []string{"Files.Read"}, Application: []string{"Files.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/drive/recent"), Q("$top", "10"), nil)
			}},
		&Activity{Name: "onedrive.search", Workload: OneDrive, Title: i18n.Text{EN: "Search OneDrive", ZH: "搜索 OneDrive 文件"},
			Calls:     []Call{{Method: "GET", Path: "/me/drive/root/search(q='{q}')"}},
			Delegated: []string{"Files.Read"}, Application: []string{"Files.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				term := driveSearchTerms[x.Rand.IntN(len(driveSearchTerms))]
				return x.Get(ctx, x.P("/drive/root/search(q='"+strings.ReplaceAll(term, "'", "''")+"')"),
					Q("$top", "10", "$select", "id,name,size,webUrl"), nil)
			}},
		&Activity{Name: "onedrive.download", Workload: OneDrive, Title: i18n.Text{EN: "Download a file from OneDrive", ZH: "从 OneDrive 下载一个文件"},
			Calls: []Call{{Method: "GET", Path: "/me/drive/root/children"}, {Method: "GET", Path: "/me/drive/items/{id}/content"},
				{Method: "GET", Path: "/me/drive/items/{id}"}},
			Delegated: []string{"Files.Read"}, Application: []string{"Files.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				var page list[driveItem]
				if err := x.Get(ctx, x.P("/drive/root/children"), Q("$top", "50", "$select", "id,name,size,file,folder"), &page); err != nil {
					return err
				}
				var files []driveItem
				for _, it := range page.Value {
					if it.File != nil && it.Size <= 4<<20 {
						files = append(files, it)
					}
				}
				if len(files) == 0 {
					return Skip("no small file in the OneDrive root")
				}
				f := files[x.Rand.IntN(len(files))]
				// Graph answers 302 to a pre-authenticated download URL; the client follows it.
				if err := x.Get(ctx, x.P("/drive/items/"+f.ID+"/content"), nil, nil); err != nil {
					return err
				}
				// Like a sync client, check the copy is still current (and end on a Graph
				// request whose request-id the report can show: the download host sends none).
				return x.Get(ctx, x.P("/drive/items/"+f.ID), Q("$select", "id,name,size,cTag,lastModifiedDateTime"), nil)
			}},
		&Activity{Name: "onedrive.upload", Workload: OneDrive, Write: true,
			Title:     i18n.Text{EN: "Upload a text file to OneDrive, then delete it", ZH: "上传一个文本文件到 OneDrive，随后删除"},
			Calls:     append([]Call{{Method: "PUT", Path: "/me/drive/items/{id}:/{name}:/content"}}, driveContainerCalls...),
			Delegated: []string{"Files.ReadWrite"}, Application: []string{"Files.ReadWrite.All"},
			Run: func(ctx context.Context, x *Exec) error {
				folder, err := x.driveContainer(ctx, "onedrive.upload")
				if err != nil {
					return err
				}
				marker := x.Marker()
				name := x.driveFileName(marker)
				_, err = x.Create(ctx, "onedrive.upload", "onedrive.item", marker, folder, func() (string, error) {
					var it idOnly
					// Simple upload (under 4 MB); PUT is idempotent, a retry replaces the same file.
					err := x.Send(ctx, "PUT", x.P("/drive/items/"+folder+":/"+name+":/content"), x.Content.FileContent(), &it)
					return it.ID, err
				})
				return err
			}},
		&Activity{Name: "onedrive.create_folder", Workload: OneDrive, Write: true,
			Title:     i18n.Text{EN: "Create a OneDrive folder, then delete it", ZH: "新建 OneDrive 文件夹，随后删除"},
			Calls:     append([]Call{{Method: "POST", Path: "/me/drive/items/{id}/children"}}, driveContainerCalls...),
			Delegated: []string{"Files.ReadWrite"}, Application: []string{"Files.ReadWrite.All"},
			Run: func(ctx context.Context, x *Exec) error {
				folder, err := x.driveContainer(ctx, "onedrive.create_folder")
				if err != nil {
					return err
				}
				marker := x.Marker()
				_, err = x.Create(ctx, "onedrive.create_folder", "onedrive.item", marker, folder, func() (string, error) {
					var it idOnly
					err := x.Send(ctx, "POST", x.P("/drive/items/"+folder+"/children"), map[string]any{
						"name": marker, "folder": map[string]any{}, "@microsoft.graph.conflictBehavior": "fail"}, &it)
					return it.ID, err
				})
				return err
			}},
	)
}
