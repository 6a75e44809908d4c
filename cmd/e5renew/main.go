// Command e5renew keeps Microsoft 365 E5 developer subscriptions active by calling
// Microsoft Graph like a developer would. See the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // IANA time zones on every system, containers without zoneinfo included

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/ghrun"
	"github.com/e5renew/e5renew/internal/i18n"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// deps are the process's outside world, so commands can be tested.
type deps struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
	// environ lists the environment (GitHub Actions mode scans it for numbered secrets);
	// nil: none.
	environ func() []string
	lang    i18n.Lang
	logger  *slog.Logger
	// openBrowser replaces the system browser (tests); nil: the system's.
	openBrowser func(url string) error
	// tuneGitHub adjusts GitHub Actions mode (tests: endpoints, no waits); nil: none.
	tuneGitHub func(*ghrun.Options)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// The first signal asks for a graceful stop; from then on the default handling
		// applies, so a second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	d := &deps{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv, environ: os.Environ, lang: i18n.FromEnv(),
		logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	cmd := newRootCommand(d)
	if err := cmd.ExecuteContext(ctx); err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		fmt.Fprintln(d.stderr, "e5renew:", err)
		os.Exit(1)
	}
}

// exitCode ends the process with a status and no further message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRootCommand(d *deps) *cobra.Command {
	var lang string
	root := &cobra.Command{
		Use:   "e5renew",
		Short: "Keep Microsoft 365 E5 developer subscriptions active / 保持 Microsoft 365 E5 开发者订阅活跃",
		Long: `e5renew signs in to each account's tenant and calls Microsoft Graph across many workloads
on irregular, human-looking schedules, cleans up what it creates, keeps every token fresh,
and tells the owner at once when something needs them.

e5renew 登录每个账号的租户，按不规则、接近真人的时间表调用多种 Microsoft Graph 接口，
清理自己创建的内容，保持所有令牌有效，并在需要处理时立即通知账号所有者。`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if lang != "" {
				l, err := i18n.Parse(lang)
				if err != nil {
					return err
				}
				d.lang = l
			}
			return nil
		},
	}
	root.SetOut(d.stdout)
	root.SetErr(d.stderr)
	root.PersistentFlags().StringVar(&lang, "lang", "", "message language: zh or en (default from E5RENEW_LANG or LANG) / 消息语言")
	root.AddCommand(newVersionCommand(d), newEmulatorCommand(d), newDemoCommand(d), newCatalogCommand(d), newRunCommand(d), newAccountsCommand(d),
		newServeCommand(d), newPlanCommand(d), newNotifyCommand(d), newLoginCommand(d), newDoctorCommand(d), newSetupCommand(d), newImportCommand(d), newAdminCommand(d), newServiceCommand(d))
	root.AddCommand(newHealthcheckCommand(d))
	return root
}

func newVersionCommand(d *deps) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date, Go version and platform / 显示版本与构建信息",
		Long: `Prints the version on the first line ("e5renew v1.2.3", for scripts), then the commit,
the build date, the Go version and the platform (os/arch).

第一行是版本（"e5renew v1.2.3"，供脚本解析），其后是提交、构建日期、Go 版本与平台。`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			currentBuild().write(d.stdout)
			return nil
		},
	}
}
