package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/web"
)

var adminTexts = struct {
	prompt, again, mismatch, short, empty, done, noEnv i18n.Text
}{
	prompt:   i18n.Text{EN: "New dashboard password (at least %d characters): ", ZH: "新的仪表盘密码（至少 %d 个字符）："},
	again:    i18n.Text{EN: "Again: ", ZH: "再输入一次："},
	mismatch: i18n.Text{EN: "the two passwords differ: nothing was changed, run the command again", ZH: "两次输入的密码不一致：未做任何更改，请重新运行命令"},
	short:    i18n.Text{EN: "the password has %d characters: use at least %d (nothing was changed)", ZH: "密码只有 %d 个字符：至少需要 %d 个（未做任何更改）"},
	empty:    i18n.Text{EN: "no password on standard input: pipe one in, e.g. `printf '%%s' \"$PW\" | e5renew admin set-password`, or use --password-env", ZH: "标准输入中没有密码：请通过管道传入，例如 `printf '%%s' \"$PW\" | e5renew admin set-password`，或使用 --password-env"},
	done:     i18n.Text{EN: "Dashboard password changed. A running `e5renew serve` uses it for the next sign-in; browsers signed in stay so until they sign out or it restarts.", ZH: "仪表盘密码已修改。正在运行的 `e5renew serve` 在下次登录时使用新密码；已登录的浏览器在退出登录或服务重启前保持登录。"},
	noEnv:    i18n.Text{EN: "--password-env %s: the variable is not set or empty", ZH: "--password-env %s：该环境变量未设置或为空"},
}

func newAdminCommand(d *deps) *cobra.Command {
	admin := &cobra.Command{
		Use:   "admin",
		Short: "Manage the dashboard's access / 管理仪表盘访问",
		Args:  cobra.NoArgs,
	}
	var cfgPath, env string
	set := &cobra.Command{
		Use:   "set-password",
		Short: "Set the dashboard's admin password / 设置仪表盘管理员密码",
		Long: `Sets the password the web dashboard of ` + "`e5renew serve`" + ` asks for. Only a slow hash
(argon2id) of it is stored, in the state database of the configuration's data_dir. Typed at
a terminal it is not echoed and asked twice; it may also be piped on standard input or read
from an environment variable (--password-env).

设置 ` + "`e5renew serve`" + ` 仪表盘的登录密码。只保存其慢哈希（argon2id），位于配置 data_dir 的状态数据库中。
在终端中输入时不回显并需输入两次；也可通过标准输入管道传入，或从环境变量读取（--password-env）。`,
		Example: `  e5renew admin set-password -c e5renew.yaml
  printf '%s' "$DASHBOARD_PASSWORD" | e5renew admin set-password
  E5_PW='correct horse battery' e5renew admin set-password --password-env E5_PW`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readNewPassword(d, env)
			if err != nil {
				return err
			}
			if n := len([]rune(pw)); n < web.MinPasswordLength {
				return errors.New(adminTexts.short.In(d.lang, n, web.MinPasswordLength))
			}
			cfg, err := loadConfig(d, cfgPath)
			if err != nil {
				return err
			}
			st, err := fleet.OpenStore(cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := web.SetPassword(cmd.Context(), st, pw); err != nil {
				return err
			}
			fmt.Fprintln(d.stdout, adminTexts.done.In(d.lang))
			return nil
		},
	}
	configFlag(set, &cfgPath)
	set.Flags().StringVar(&env, "password-env", "", "read the password from this environment variable / 从该环境变量读取密码")
	admin.AddCommand(set)
	return admin
}

// readNewPassword reads the password from the environment variable named, else from a
// terminal (twice, without echo), else from the first line of standard input.
func readNewPassword(d *deps, env string) (string, error) {
	if env != "" {
		v, ok := d.getenv(env)
		if !ok || v == "" {
			return "", errors.New(adminTexts.noEnv.In(d.lang, env))
		}
		return v, nil
	}
	if f, ok := d.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(d.stderr, adminTexts.prompt.In(d.lang, web.MinPasswordLength))
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(d.stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(d.stderr, adminTexts.again.In(d.lang))
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(d.stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New(adminTexts.mismatch.In(d.lang))
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(d.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New(adminTexts.empty.In(d.lang))
	}
	return line, nil
}
