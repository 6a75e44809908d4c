package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/importer"
	"github.com/e5renew/e5renew/internal/onboard"
	"github.com/e5renew/e5renew/internal/store"
)

var importTexts = struct {
	ok, dry, failed, unknown, exists, needUser, summary, nothing i18n.Text
}{
	ok:       i18n.Text{EN: "line %d (%s): %s imported (%s)", ZH: "第 %d 行（%s）：已导入 %s（%s）"},
	dry:      i18n.Text{EN: "line %d (%s): %s signs in (%s); not saved (--dry-run)", ZH: "第 %d 行（%s）：%s 可以登录（%s）；未保存（--dry-run）"},
	failed:   i18n.Text{EN: "line %d (%s): %s", ZH: "第 %d 行（%s）：%s"},
	unknown:  i18n.Text{EN: "line %d: %s", ZH: "第 %d 行：%s"},
	exists:   i18n.Text{EN: "an account named %s exists already: use --replace to replace it, or rename one", ZH: "已存在名为 %s 的账号：使用 --replace 替换，或重命名其中一个"},
	needUser: i18n.Text{EN: "an application account needs the user whose mailbox and files it works on: run again with --user", ZH: "应用程序账号需要指定操作哪个用户的邮箱与文件：请加上 --user 重新运行"},
	summary:  i18n.Text{EN: "%d imported, %d failed.", ZH: "导入 %d 个，失败 %d 个。"},
	nothing:  i18n.Text{EN: "nothing to import", ZH: "没有可导入的内容"},
}

func newImportCommand(d *deps) *cobra.Command {
	var (
		cfgPath, clientID, secretEnv, user string
		dryRun, replace                    bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Import accounts from rclone, Office365Auto, E5 Renew's Account.txt or E5SubBot / 从其他工具导入账号",
		Long: `Reads what you already have and adds the accounts it holds: the output of rclone authorize
or an rclone.conf, Office365Auto's CLIENT_ID/CLIENT_SECRET/MS_TOKEN, E5 Renew's Account.txt
(one account per line), or E5SubBot's export. The format is detected. Each account is checked
by signing in before it is saved; a bad line is reported with its number and never stops the
others, and nothing is half-imported. "-" reads standard input. The formats are described in
the README.

读取你已有的内容并添加其中的账号：rclone authorize 的输出或 rclone.conf、Office365Auto 的
CLIENT_ID/CLIENT_SECRET/MS_TOKEN、E5 Renew 的 Account.txt（每行一个账号）、E5SubBot 的导出文件。
格式自动识别。每个账号登录验证成功后才保存；出错的行会报告行号，不影响其他行，也不会只导入一半。
"-" 表示从标准输入读取。各格式说明见 README。`,
		Example: `  e5renew import rclone.conf
  e5renew import Account.txt --user admin@contoso.onmicrosoft.com
  rclone authorize "onedrive" "$CLIENT_ID" "$CLIENT_SECRET" | e5renew import -
  e5renew import export.json --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if args[0] == "-" {
				in := d.stdin
				if in == nil {
					in = os.Stdin
				}
				data, err = io.ReadAll(io.LimitReader(in, 16<<20))
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", args[0], err)
			}
			opts := importer.Options{ClientID: clientID}
			if opts.ClientSecret, err = secretFromEnv(d, secretEnv); err != nil {
				return err
			}
			cands, lineErrs := importer.ParseWith(data, opts)
			if len(cands) == 0 && len(lineErrs) == 0 {
				return errors.New(importTexts.nothing.In(d.lang))
			}
			cfg, st, err := openOrCreateState(cmd, d, cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			ep, err := cfg.ResolveEndpoints(d.getenv)
			if err != nil {
				return err
			}
			type outcome struct {
				line int
				text string
			}
			var results []outcome
			failed := len(lineErrs)
			for _, le := range lineErrs {
				text := importTexts.failed.In(d.lang, le.Line, le.Format, le.Message(d.lang))
				if le.Format == "" {
					text = importTexts.unknown.In(d.lang, le.Line, le.Message(d.lang))
				}
				results = append(results, outcome{le.Line, text})
			}
			imported := 0
			for _, c := range cands {
				text, err := importOne(cmd.Context(), d, cfg, st, ep, c, user, dryRun, replace)
				if err != nil {
					failed++
					results = append(results, outcome{c.Line, importTexts.failed.In(d.lang, c.Line, c.Format, err.Error())})
					continue
				}
				imported++
				results = append(results, outcome{c.Line, text})
			}
			// In the order of the input.
			for i := 1; i < len(results); i++ {
				for j := i; j > 0 && results[j].line < results[j-1].line; j-- {
					results[j], results[j-1] = results[j-1], results[j]
				}
			}
			for _, r := range results {
				fmt.Fprintln(d.stdout, r.text)
			}
			fmt.Fprintln(d.stdout, importTexts.summary.In(d.lang, imported, failed))
			if failed > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	configFlag(cmd, &cfgPath)
	fl := cmd.Flags()
	fl.StringVar(&clientID, "client-id", "", "the app of tokens whose input does not say it / 输入中未注明时令牌所属应用的客户端 ID")
	fl.StringVar(&secretEnv, "client-secret-env", "", "environment variable with that app's client secret, for confidential apps / 该应用客户端密码所在的环境变量")
	fl.StringVar(&user, "user", "", "for application accounts that do not say it: the user whose mailbox and files to use / 应用程序账号使用的用户")
	fl.BoolVar(&dryRun, "dry-run", false, "check every account by signing in, save nothing / 只验证，不保存")
	fl.BoolVar(&replace, "replace", false, "replace accounts e5renew added before with the same name / 替换同名的已有账号")
	return cmd
}

// importOne checks one candidate by signing in and saves it (onboard.Env.ImportOne), with
// the command's own words for what its flags fix.
func importOne(ctx context.Context, d *deps, cfg *config.Config, st store.Store, ep auth.Endpoints, c importer.Candidate,
	user string, dryRun, replace bool) (string, error) {
	if a, ok := cfg.Account(c.Name); ok && a.Managed && !replace {
		return "", errors.New(importTexts.exists.In(d.lang, a.Name))
	}
	if c.Type == string(auth.KindClientCredentials) && c.User == "" && user == "" {
		return "", errors.New(importTexts.needUser.In(d.lang))
	}
	env := onboard.Env{Store: st, Config: cfg, Endpoints: ep, Logger: d.logger, Lang: d.lang}
	added, err := env.ImportOne(ctx, c, user, dryRun, replace)
	if err != nil {
		return "", err
	}
	what := c.Type
	if added.Token.Delegated && added.Token.UPN != "" {
		what += ", " + added.Token.UPN
	}
	if dryRun {
		return importTexts.dry.In(d.lang, c.Line, c.Format, c.Name, what), nil
	}
	return importTexts.ok.In(d.lang, c.Line, c.Format, c.Name, what), nil
}
