package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/round"
)

var catTexts = struct {
	delegated, application, none, scope, total, header, read, write i18n.Text
}{
	header:      i18n.Text{EN: "ACTIVITY\tWORKLOAD\tR/W\tDELEGATED\tAPPLICATION\tWHAT", ZH: "活动\t服务\t读/写\t委托的权限\t应用程序权限\t说明"},
	read:        i18n.Text{EN: "read", ZH: "读"},
	write:       i18n.Text{EN: "write", ZH: "写"},
	delegated:   i18n.Text{EN: "Delegated permissions (refresh_token and password sign-in), %d:", ZH: "委托的权限（refresh_token 与 password 登录），共 %d 项："},
	application: i18n.Text{EN: "Application permissions (client_credentials sign-in), %d:", ZH: "应用程序权限（client_credentials 登录），共 %d 项："},
	none:        i18n.Text{EN: "not available app-only", ZH: "不支持仅应用"},
	scope:       i18n.Text{EN: "As a scope string (to request them all at sign-in):", ZH: "作为 scope 字符串（登录时一次请求全部）："},
	total:       i18n.Text{EN: "%d activities over %d workloads (%d write, %d app-only).", ZH: "共 %d 个活动，覆盖 %d 类服务（%d 个写操作，%d 个支持仅应用）。"},
}

// catalogEntry is the JSON form of an activity.
type catalogEntry struct {
	Name        string          `json:"name"`
	Workload    string          `json:"workload"`
	Title       string          `json:"title"`
	Write       bool            `json:"write"`
	Delegated   []string        `json:"delegated"`
	Application []string        `json:"application"`
	AppNote     string          `json:"appNote,omitempty"`
	Calls       []activity.Call `json:"calls"`
}

func newCatalogCommand(d *deps) *cobra.Command {
	var (
		asJSON, perms    bool
		include, exclude []string
	)
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "List the Graph activities and the permissions they need / 列出 Graph 活动及所需权限",
		Long: `Lists every activity e5renew can run with the permissions each sign-in type needs, so you know
exactly what to grant. --permissions prints the minimal permission set for the selected
activities (all of them unless --include/--exclude narrow it).

列出 e5renew 可以执行的全部活动及每种登录方式所需的权限。--permissions 输出所选活动
（默认全部，可用 --include/--exclude 筛选）的最小权限集合。`,
		Example: `  e5renew catalog
  e5renew catalog --json
  e5renew catalog --permissions
  e5renew catalog --permissions --include mail,calendar --exclude mail.send_self`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sel := round.Selection{Include: include, Exclude: exclude}
			if err := sel.Validate(); err != nil {
				return err
			}
			acts := sel.Filter(activity.All())
			if perms {
				return printPermissions(d, acts, asJSON)
			}
			if asJSON {
				out := make([]catalogEntry, 0, len(acts))
				for _, a := range acts {
					out = append(out, catalogEntry{Name: a.Name, Workload: string(a.Workload), Title: a.Title.In(d.lang), Write: a.Write,
						Delegated: a.Delegated, Application: nonNil(a.Application), AppNote: a.AppNote, Calls: a.Calls})
				}
				enc := json.NewEncoder(d.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			tw := tabwriter.NewWriter(d.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, catTexts.header.In(d.lang))
			writes, apps := 0, 0
			for _, a := range acts {
				rw := catTexts.read.In(d.lang)
				if a.Write {
					rw, writes = catTexts.write.In(d.lang), writes+1
				}
				app := catTexts.none.In(d.lang)
				if a.AppOnly() {
					app, apps = strings.Join(a.Application, " "), apps+1
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.Workload, rw, strings.Join(a.Delegated, " "), app, a.Title.In(d.lang))
			}
			tw.Flush()
			workloads := map[activity.Workload]bool{}
			for _, a := range acts {
				workloads[a.Workload] = true
			}
			fmt.Fprintln(d.stdout, catTexts.total.In(d.lang, len(acts), len(workloads), writes, apps))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable output / 输出 JSON")
	cmd.Flags().BoolVar(&perms, "permissions", false, "print the minimal permission set / 输出最小权限集合")
	cmd.Flags().StringSliceVar(&include, "include", nil, "only these activities or workloads (mail, mail.draft, onedrive.*) / 仅包含")
	cmd.Flags().StringSliceVar(&exclude, "exclude", nil, "leave these out / 排除")
	return cmd
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func printPermissions(d *deps, acts []*activity.Activity, asJSON bool) error {
	del, app := activity.MinimalPermissions(acts, true), activity.MinimalPermissions(acts, false)
	scope := "offline_access openid profile " + strings.Join(del, " ")
	if asJSON {
		enc := json.NewEncoder(d.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"delegated": nonNil(del), "application": nonNil(app), "scope": scope})
	}
	fmt.Fprintln(d.stdout, catTexts.delegated.In(d.lang, len(del)))
	for _, p := range del {
		fmt.Fprintln(d.stdout, "  "+p)
	}
	fmt.Fprintln(d.stdout, catTexts.scope.In(d.lang))
	fmt.Fprintln(d.stdout, "  "+scope)
	fmt.Fprintln(d.stdout)
	fmt.Fprintln(d.stdout, catTexts.application.In(d.lang, len(app)))
	for _, p := range app {
		fmt.Fprintln(d.stdout, "  "+p)
	}
	return nil
}
