package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/sysservice"
)

// serviceHost is the part of the machine `e5renew service` reads and changes, so that
// tests can replace all of it: the commands it runs, who runs it, where files go.
type serviceHost struct {
	goos   string
	runner sysservice.Runner
	// executable is this program's path (symbolic links resolved).
	executable func() (string, error)
	euid, uid  int
	home       func() (string, error)
	username   func() (string, error)
	// root prefixes every path of a service file and of systemd's linger directory: "" on
	// the real system, a temporary directory in tests.
	root string
	// tempDirs are directories a binary or configuration must not live in.
	tempDirs []string
	// account resolves --run-as to ids, for the data directory it creates.
	account func(name, group string) (uid, gid int, err error)
}

func newServiceHost() *serviceHost {
	h := &serviceHost{
		goos: runtime.GOOS, runner: sysservice.ExecRunner{},
		executable: func() (string, error) {
			p, err := os.Executable()
			if err != nil {
				return "", err
			}
			return filepath.EvalSymlinks(p)
		},
		euid: os.Geteuid(), uid: os.Getuid(), home: os.UserHomeDir,
		username: func() (string, error) {
			u, err := user.Current()
			if err != nil {
				return "", err
			}
			return u.Username, nil
		},
		account: lookupAccount,
	}
	for _, d := range []string{os.TempDir(), "/tmp", "/var/tmp"} {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			d = r
		}
		if filepath.IsAbs(d) {
			h.tempDirs = append(h.tempDirs, d)
		}
	}
	return h
}

func lookupAccount(name, group string) (int, int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return 0, 0, err
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}

var serviceTexts = struct {
	bothScopes, badOS, installOtherOS, tempBinary, tempConfig, noBinary, notExecutable, badConfig, envHintFile, envHintNone,
	shellEnv, envFileMode, differs, windowsDiffers, notOurs, windowsNotOurs, permission, noAccount, wrote, upToDate,
	wouldWrite, wouldRemove, wouldRun, nothingRun, cmdFailed, notFound, noSystemd, elevated, userBus, installed, installedUser,
	installedAgent, installedDaemon, installedWindows, dashboard, dashboardOff, password, linger, sudoUser, manage,
	removed, notInstalled, keptData, started, stopped, printOther, printConfig, warning, timeoutNote i18n.Text
}{
	bothScopes:     i18n.Text{EN: "--user and --system exclude each other: choose one", ZH: "--user 与 --system 不能同时使用：请选择其一"},
	badOS:          i18n.Text{EN: "--os %q: use linux, darwin or windows", ZH: "--os %q：请使用 linux、darwin 或 windows"},
	installOtherOS: i18n.Text{EN: "--os is for print only: install, start and the others act on this system", ZH: "--os 只用于 print：install、start 等命令只作用于本机"},
	tempBinary:     i18n.Text{EN: "%s is in a temporary directory (where go run builds), which is cleaned up: build it with go build or download a release, then run install from that binary (or give it with --binary)", ZH: "%s 位于临时目录（go run 在那里构建），会被清理：请用 go build 构建或下载发行版，然后用那个程序运行 install（或用 --binary 指定）"},
	tempConfig:     i18n.Text{EN: "the configuration %s is in a temporary directory, which is emptied at boot and hidden from a system service (PrivateTmp): move it (for example to %s) and install again", ZH: "配置文件 %s 位于临时目录，开机时会被清空，系统服务也看不到它（PrivateTmp）：请移到别处（例如 %s）后重新安装"},
	noBinary:       i18n.Text{EN: "the program to run, %s: %v", ZH: "要运行的程序 %s：%v"},
	notExecutable:  i18n.Text{EN: "%s is not an executable file: give the e5renew binary with --binary", ZH: "%s 不是可执行文件：请用 --binary 指定 e5renew 程序"},
	badConfig:      i18n.Text{EN: "the configuration does not load the way the service will load it, so the service would fail at every start; fix this first, then install again:\n%s", ZH: "配置无法按服务的方式加载，服务每次启动都会失败；请先修正以下问题再安装：\n%s"},
	envHintFile:    i18n.Text{EN: "The service does not see your shell's environment: put the variables the configuration references as ${NAME} into %s, one NAME=value a line (chmod 600: they are secrets). The service reads that file, and install checks the configuration with it.", ZH: "服务看不到你的 shell 环境变量：请把配置中以 ${NAME} 引用的变量写入 %s，每行一个 NAME=value（chmod 600：它们是机密）。服务会读取该文件，install 也用它检查配置。"},
	envHintNone:    i18n.Text{EN: "The service does not see your shell's environment: write those values into the configuration file (chmod 600) instead of ${NAME} references.", ZH: "服务看不到你的 shell 环境变量：请把这些值直接写入配置文件（chmod 600），不要使用 ${NAME} 引用。"},
	shellEnv:       i18n.Text{EN: "warning: %s is set in your shell, but the service will not see it%s", ZH: "警告：%s 在你的 shell 中已设置，但服务看不到它%s"},
	envFileMode:    i18n.Text{EN: "warning: %s can be read by other users (mode %v) and may hold secrets: chmod 600 it", ZH: "警告：其他用户可以读取 %s（权限 %v），其中可能有机密：请 chmod 600"},
	differs:        i18n.Text{EN: "%s already exists and differs from what install would write (`e5renew service print` shows that): use --force to replace it", ZH: "%s 已存在，且与 install 将写入的内容不同（`e5renew service print` 可查看）：使用 --force 替换它"},
	windowsDiffers: i18n.Text{EN: "a Windows service named %s already exists and runs %s: use --force to reconfigure it, or choose another --name", ZH: "已存在名为 %s 的 Windows 服务，运行的是 %s：使用 --force 重新配置，或用 --name 换一个名字"},
	notOurs:        i18n.Text{EN: "%s was not written by e5renew: use --force to remove it anyway", ZH: "%s 不是 e5renew 写入的：如确要删除，请使用 --force"},
	windowsNotOurs: i18n.Text{EN: "the Windows service %s runs %s, not `e5renew serve`: use --force to remove it anyway", ZH: "Windows 服务 %s 运行的是 %s，而不是 `e5renew serve`：如确要删除，请使用 --force"},
	permission:     i18n.Text{EN: "%v: a system service needs root: run the command with sudo, or use --user for a service of your own", ZH: "%v：系统服务需要 root 权限：请用 sudo 运行，或使用 --user 安装你自己的服务"},
	noAccount:      i18n.Text{EN: "--run-as %s: %v (create the account first, e.g. useradd --system e5renew)", ZH: "--run-as %s：%v（请先创建该账户，例如 useradd --system e5renew）"},
	wrote:          i18n.Text{EN: "Wrote %s.", ZH: "已写入 %s。"},
	upToDate:       i18n.Text{EN: "%s is up to date.", ZH: "%s 已是最新。"},
	wouldWrite:     i18n.Text{EN: "Would write %s:", ZH: "将写入 %s："},
	wouldRemove:    i18n.Text{EN: "Would remove %s.", ZH: "将删除 %s。"},
	wouldRun:       i18n.Text{EN: "Would run:", ZH: "将运行："},
	nothingRun:     i18n.Text{EN: "(--dry-run: nothing was written or run)", ZH: "（--dry-run：未写入或运行任何内容）"},
	cmdFailed:      i18n.Text{EN: "`%s` failed (%v)%s", ZH: "`%s` 失败（%v）%s"},
	notFound:       i18n.Text{EN: "%s is not on this system: `e5renew service print` shows what to install, for your system's own way of running services", ZH: "本机没有 %s：`e5renew service print` 可显示需要安装的内容，请按本系统的方式运行服务"},
	noSystemd:      i18n.Text{EN: "This system does not run systemd (a container, WSL without systemd?): remove the unit with `e5renew service uninstall`, and start `e5renew serve` the way this system starts programs.", ZH: "本系统没有运行 systemd（容器，或未启用 systemd 的 WSL？）：请用 `e5renew service uninstall` 删除单元，并按本系统的方式启动 `e5renew serve`。"},
	elevated:       i18n.Text{EN: "Run the command from an elevated prompt (Run as administrator).", ZH: "请在以管理员身份运行的命令提示符中执行。"},
	userBus:        i18n.Text{EN: "systemctl --user needs your own login session: run the command as yourself in a login shell (not through sudo or su), or install a system service with --system as root.", ZH: "systemctl --user 需要你自己的登录会话：请以你自己的身份在登录 shell 中运行（不要通过 sudo 或 su），或以 root 使用 --system 安装系统服务。"},
	installed:      i18n.Text{EN: "%s is installed as a system service: started now, and at every boot.", ZH: "%s 已安装为系统服务：现已启动，以后每次开机都会启动。"},
	installedUser:  i18n.Text{EN: "%s is installed as a service of your user: started now, and whenever you log in.", ZH: "%s 已安装为你的用户服务：现已启动，以后每次登录都会启动。"},
	installedAgent: i18n.Text{EN: "%s is installed as a launchd agent: started now, and whenever you log in.", ZH: "%s 已安装为 launchd 代理：现已启动，以后每次登录都会启动。"},
	installedDaemon: i18n.Text{EN: "%s is installed as a launchd daemon: started now, and at every boot.",
		ZH: "%s 已安装为 launchd 守护进程：现已启动，以后每次开机都会启动。"},
	installedWindows: i18n.Text{EN: "%s is installed as a Windows service: started now, and shortly after every boot.", ZH: "%s 已安装为 Windows 服务：现已启动，以后每次开机后不久都会启动。"},
	dashboard:        i18n.Text{EN: "Dashboard: %s (daemon.listen in the configuration).", ZH: "仪表盘：%s（配置中的 daemon.listen）。"},
	dashboardOff:     i18n.Text{EN: "The dashboard is off (daemon.listen).", ZH: "仪表盘已关闭（daemon.listen）。"},
	password:         i18n.Text{EN: "If no dashboard password was set before, the first start generated one and printed it once into the logs:\n  %s\nOr set one yourself (a running service uses it at the next sign-in):\n  %s", ZH: "如果之前没有设置仪表盘密码，首次启动会生成一个并只在日志中打印一次：\n  %s\n也可以自己设置（正在运行的服务在下次登录时使用）：\n  %s"},
	linger:           i18n.Text{EN: "A user service stops when you log out and starts only when you log in. To start it at boot and keep it running:\n  loginctl enable-linger %s", ZH: "用户服务在你退出登录后停止，只在你登录时启动。要开机启动并一直运行：\n  loginctl enable-linger %s"},
	sudoUser:         i18n.Text{EN: "Note: the service runs as root. To run it as %s instead, install again with --run-as %s --force (the files it writes then belong to %s).", ZH: "注意：服务以 root 身份运行。若要以 %s 身份运行，请加上 --run-as %s --force 重新安装（它写入的文件将属于 %s）。"},
	manage:           i18n.Text{EN: "Manage it with: e5renew service status | stop | start | uninstall%s", ZH: "管理命令：e5renew service status | stop | start | uninstall%s"},
	removed:          i18n.Text{EN: "Removed %s.", ZH: "已删除 %s。"},
	notInstalled:     i18n.Text{EN: "%s is not installed (%s): nothing to remove.", ZH: "%s 未安装（%s）：无需删除。"},
	keptData:         i18n.Text{EN: "The configuration, its data directory and the logs are left in place.", ZH: "配置文件、数据目录和日志均保留未动。"},
	started:          i18n.Text{EN: "%s is started.", ZH: "%s 已启动。"},
	stopped:          i18n.Text{EN: "%s is stopped; it starts again at the next boot or login (or with `e5renew service start`).", ZH: "%s 已停止；下次开机或登录时会再次启动（或运行 `e5renew service start`）。"},
	printOther:       i18n.Text{EN: "note: printing for %s: the paths not given with --binary and -c are examples", ZH: "注意：为 %s 输出：未用 --binary 和 -c 指定的路径只是示例"},
	printConfig:      i18n.Text{EN: "warning: install would refuse this configuration (what follows assumes the default data_dir):\n%s", ZH: "警告：install 会拒绝这个配置（以下内容按默认 data_dir 生成）：\n%s"},
	warning:          i18n.Text{EN: "warning: %s", ZH: "警告：%s"},
	timeoutNote:      i18n.Text{EN: "The service manager gives the daemon %s to stop (daemon.shutdown_timeout plus a margin): after changing shutdown_timeout, install again with --force.", ZH: "服务管理器给守护进程 %s 的停止时间（daemon.shutdown_timeout 加余量）：修改 shutdown_timeout 后，请用 --force 重新安装。"},
}

// serviceFlags are the flags every `service` subcommand shares.
type serviceFlags struct {
	name         string
	user, system bool
}

func newServiceCommand(d *deps) *cobra.Command { return newServiceCommandWith(d, newServiceHost()) }

func newServiceCommandWith(d *deps, h *serviceHost) *cobra.Command {
	var f serviceFlags
	svc := &cobra.Command{
		Use:   "service",
		Short: "Run e5renew as a service of the system: start at boot, restart on failure / 作为系统服务运行：开机启动、失败重启",
		Long: `Installs ` + "`e5renew serve`" + ` as a service of this system, so it starts at boot (or at login) and
is restarted when it fails: a systemd unit on Linux (system-wide as root, else for your user),
a launchd agent on macOS (a daemon with --system), a Windows service on Windows. install checks
the configuration first, writes the file, and enables and starts the service; print shows
what install would write and run, without doing it, for those who install services themselves.

将 ` + "`e5renew serve`" + ` 安装为本机的系统服务，开机（或登录）时启动，失败时自动重启：Linux 上为
systemd 单元（root 时为系统级，否则为当前用户），macOS 上为 launchd 代理（--system 时为守护进程），
Windows 上为 Windows 服务。install 先检查配置，再写入文件、启用并启动服务；print 只显示 install
将写入和运行的内容而不执行，适合自己安装服务的用户。`,
		Example: `  sudo e5renew service install -c /etc/e5renew/e5renew.yaml --run-as e5renew
  e5renew service install -c ~/.config/e5renew/e5renew.yaml      # your user's service
  e5renew service status
  e5renew service print -c /etc/e5renew/e5renew.yaml > e5renew.service
  e5renew service print --os windows                              # the sc.exe commands`,
		Args: cobra.NoArgs,
	}
	svc.PersistentFlags().StringVar(&f.name, "name", sysservice.DefaultName, "service name / 服务名")
	svc.PersistentFlags().BoolVar(&f.user, "user", false, "a service of your user (default unless root; not on Windows) / 当前用户的服务")
	svc.PersistentFlags().BoolVar(&f.system, "system", false, "a system-wide service, started at boot (default as root) / 系统级服务")
	svc.AddCommand(newServiceInstallCommand(d, h, &f), newServiceUninstallCommand(d, h, &f), newServiceStartStopCommand(d, h, &f, "start"),
		newServiceStartStopCommand(d, h, &f, "stop"), newServiceStatusCommand(d, h, &f), newServicePrintCommand(d, h, &f))
	return svc
}

// specFlags are the flags of install and print.
type specFlags struct {
	cfgPath, binary, runAs string
}

func addSpecFlags(cmd *cobra.Command, s *specFlags) {
	configFlag(cmd, &s.cfgPath)
	cmd.Flags().StringVar(&s.binary, "binary", "", "the e5renew program the service runs (default: this one) / 服务运行的 e5renew 程序（默认：当前程序）")
	cmd.Flags().StringVar(&s.runAs, "run-as", "", "user[:group] a system service runs as (default root) / 系统服务的运行账户（默认 root）")
}

func newServiceInstallCommand(d *deps, h *serviceHost, f *serviceFlags) *cobra.Command {
	var (
		s             specFlags
		force, dryRun bool
	)
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install, enable and start the service / 安装、启用并启动服务",
		Long: `Checks that the configuration loads the way the service will load it (without your shell's
environment), writes the service file (Linux, macOS) or registers the service (Windows), then
enables and starts it. Running it again changes nothing when nothing changed; a different
existing service is replaced only with --force.

检查配置能否按服务的方式加载（没有你的 shell 环境变量），写入服务文件（Linux、macOS）或注册服务
（Windows），然后启用并启动。再次运行时若无变化则不做任何更改；已有的不同服务只有在 --force 时才会被替换。`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return serviceInstall(cmd.Context(), d, h, f, s, force, dryRun)
		},
	}
	addSpecFlags(cmd, &s)
	cmd.Flags().BoolVar(&force, "force", false, "replace a different existing service / 替换已有的不同服务")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be written and run, and do nothing / 只显示将写入和运行的内容")
	return cmd
}

func newServiceUninstallCommand(d *deps, h *serviceHost, f *serviceFlags) *cobra.Command {
	var force, dryRun bool
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Stop, disable and remove the service (the configuration and data stay) / 停止、禁用并删除服务（配置与数据保留）",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return serviceUninstall(cmd.Context(), d, h, f, force, dryRun)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "remove the service even if e5renew did not install it / 即使不是 e5renew 安装的也删除")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be removed and run, and do nothing / 只显示将删除和运行的内容")
	return cmd
}

func newServiceStartStopCommand(d *deps, h *serviceHost, f *serviceFlags, verb string) *cobra.Command {
	var dryRun bool
	short := "Start the installed service now / 立即启动已安装的服务"
	if verb == "stop" {
		short = "Stop the service (it starts again at the next boot or login) / 停止服务（下次开机或登录时再启动）"
	}
	cmd := &cobra.Command{
		Use:   verb,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := h.target(d, h.goos, f)
			if err != nil {
				return err
			}
			cmds, done := t.StartCmds(), serviceTexts.started
			if verb == "stop" {
				cmds, done = t.StopCmds(), serviceTexts.stopped
			}
			if dryRun {
				printWouldRun(d, t.OS, cmds)
				return nil
			}
			if err := runServiceCmds(cmd.Context(), d, h, t, cmds); err != nil {
				return err
			}
			fmt.Fprintln(d.stdout, done.In(d.lang, t.Name))
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show the commands, and run nothing / 只显示命令")
	return cmd
}

func newServiceStatusCommand(d *deps, h *serviceHost, f *serviceFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the service's state (the exit status is the service manager's) / 显示服务状态",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := h.target(d, h.goos, f)
			if err != nil {
				return err
			}
			c := t.StatusCmd()
			out, err := h.runner.Run(cmd.Context(), c.Argv)
			fmt.Fprint(d.stdout, out)
			if err != nil {
				var ec interface{ ExitCode() int }
				if errors.As(err, &ec) && ec.ExitCode() > 0 {
					return exitCode(ec.ExitCode()) // systemctl: 3 when stopped, 4 when unknown
				}
				return cmdError(d, t, c, err, out)
			}
			return nil
		},
	}
}

func newServicePrintCommand(d *deps, h *serviceHost, f *serviceFlags) *cobra.Command {
	var (
		s    specFlags
		goos string
	)
	cmd := &cobra.Command{
		Use:   "print",
		Short: "Print the service file (or Windows commands) install would write, without installing / 输出 install 将写入的服务文件（或 Windows 命令），不安装",
		Long: `Prints exactly what install would write: the systemd unit (Linux) or the launchd property
list (macOS), whose comments say where it goes and which commands enable it; on Windows, the
sc.exe commands as a cmd.exe script. --os prints another system's (with example paths unless
--binary and -c give them).

输出 install 将写入的内容：systemd 单元（Linux）或 launchd 属性列表（macOS），其中的注释说明文件
位置和启用命令；Windows 上为 sc.exe 命令组成的 cmd.exe 脚本。--os 可输出其他系统的内容（未用
--binary 和 -c 指定时使用示例路径）。`,
		Example: `  e5renew service print -c /etc/e5renew/e5renew.yaml | sudo tee /etc/systemd/system/e5renew.service
  e5renew service print --os darwin
  e5renew service print --os windows --binary 'C:\Program Files\e5renew\e5renew.exe' -c 'C:\ProgramData\e5renew\e5renew.yaml'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if goos == "" {
				goos = h.goos
			}
			switch goos {
			case sysservice.Linux, sysservice.Darwin, sysservice.Windows:
			default:
				return errors.New(serviceTexts.badOS.In(d.lang, goos))
			}
			t, err := h.target(d, goos, f)
			if err != nil {
				return err
			}
			spec, _, err := h.spec(d, t, s, false)
			if err != nil {
				return err
			}
			if goos == sysservice.Windows {
				text, err := spec.WindowsScript()
				if err != nil {
					return localized(d, err)
				}
				fmt.Fprint(d.stdout, text)
				return nil
			}
			file, err := spec.Render()
			if err != nil {
				return localized(d, err)
			}
			fmt.Fprint(d.stdout, file.Content)
			return nil
		},
	}
	addSpecFlags(cmd, &s)
	cmd.Flags().StringVar(&goos, "os", "", "linux, darwin or windows (default: this system) / 目标系统")
	return cmd
}

func localized(d *deps, err error) error {
	if err == nil {
		return nil
	}
	return errors.New(sysservice.Localize(err, d.lang))
}

// target resolves the shared flags into the service they name on goos.
func (h *serviceHost) target(d *deps, goos string, f *serviceFlags) (sysservice.Target, error) {
	t := sysservice.Target{OS: goos, Name: f.name, UID: -1}
	switch {
	case f.user && f.system:
		return t, errors.New(serviceTexts.bothScopes.In(d.lang))
	case f.user:
		t.Scope = sysservice.User
	case f.system, goos == sysservice.Windows:
		t.Scope = sysservice.System
	case goos != h.goos: // printing another system's: what most people want there
		t.Scope = sysservice.System
		if goos == sysservice.Darwin {
			t.Scope = sysservice.User
		}
	case h.euid == 0:
		t.Scope = sysservice.System
	default:
		t.Scope = sysservice.User
	}
	if goos == h.goos {
		t.UID = h.uid
		if home, err := h.home(); err == nil {
			t.Home = home
		}
	} else {
		t.Home = exampleHome(goos)
	}
	return t, localized(d, t.Validate())
}

func exampleHome(goos string) string {
	if goos == sysservice.Darwin {
		return "/Users/you"
	}
	return "/home/you"
}

// homeOf is the home directory a path on goos is in ("" when it is in none).
func homeOf(goos, p string) string {
	prefix := "/home/"
	if goos == sysservice.Darwin {
		prefix = "/Users/"
	} else if goos != sysservice.Linux {
		return ""
	}
	rest, ok := strings.CutPrefix(p, prefix)
	if user, _, found := strings.Cut(rest, "/"); ok && found && user != "" {
		return prefix + user
	}
	return ""
}

// exampleConfig and exampleBinary are the paths printed for another system when --binary
// and -c do not give them.
func exampleConfig(t sysservice.Target) string {
	switch {
	case t.OS == sysservice.Windows:
		return `C:\ProgramData\e5renew\e5renew.yaml`
	case t.Scope == sysservice.System && t.OS == sysservice.Darwin:
		return "/Library/Application Support/e5renew/e5renew.yaml"
	case t.Scope == sysservice.System:
		return "/etc/e5renew/e5renew.yaml"
	case t.OS == sysservice.Darwin:
		return t.Home + "/Library/Application Support/e5renew/e5renew.yaml"
	}
	return t.Home + "/.config/e5renew/e5renew.yaml"
}

func exampleBinary(goos string) string {
	if goos == sysservice.Windows {
		return `C:\Program Files\e5renew\e5renew.exe`
	}
	return "/usr/local/bin/e5renew"
}

// spec resolves what the service runs. strict (install) refuses what would not run as a
// service: a temporary binary or configuration, a configuration that does not load without
// the shell's environment; print only warns. The configuration is returned when it loaded.
func (h *serviceHost) spec(d *deps, t sysservice.Target, s specFlags, strict bool) (sysservice.Spec, *config.Config, error) {
	spec := sysservice.Spec{Target: t, RunAs: s.runAs, StopTimeout: sysservice.MinStopTimeout}
	if u, g, ok := strings.Cut(s.runAs, ":"); ok {
		spec.RunAs, spec.RunGroup = u, g
	}
	foreign := t.OS != h.goos
	cfgFlag := s.cfgPath
	if cfgFlag == "" {
		if v, ok := d.getenv("E5RENEW_CONFIG"); ok && v != "" {
			cfgFlag = v
		}
	}
	if foreign {
		fmt.Fprintln(d.stderr, serviceTexts.printOther.In(d.lang, t.OS))
		spec.Binary, spec.Config = s.binary, cfgFlag
		if home := homeOf(t.OS, spec.Config); home != "" && t.Scope == sysservice.User {
			spec.Home = home // the example's user: the configuration's
		}
		if spec.Binary == "" {
			spec.Binary = exampleBinary(t.OS)
		}
		if spec.Config == "" {
			spec.Config = exampleConfig(t)
		}
		spec.DataDir = sysservice.Join(t.OS, sysservice.Dir(t.OS, spec.Config), "e5renew-data")
		return spec, nil, localized(d, spec.Validate())
	}
	var err error
	if spec.Config, err = filepath.Abs(resolveConfigPath(d, s.cfgPath)); err != nil {
		return spec, nil, err
	}
	spec.DataDir = filepath.Join(filepath.Dir(spec.Config), "e5renew-data")
	if s.binary != "" {
		spec.Binary, err = filepath.Abs(s.binary)
	} else {
		spec.Binary, err = h.executable()
	}
	if err != nil {
		return spec, nil, err
	}
	// problem: refused by install, a warning for print.
	problem := func(msg string) error {
		if strict {
			return errors.New(msg)
		}
		fmt.Fprintln(d.stderr, serviceTexts.warning.In(d.lang, msg))
		return nil
	}
	if h.isTemp(spec.Binary) {
		if err := problem(serviceTexts.tempBinary.In(d.lang, spec.Binary)); err != nil {
			return spec, nil, err
		}
	} else if strict {
		fi, err := os.Stat(spec.Binary)
		if err != nil {
			return spec, nil, errors.New(serviceTexts.noBinary.In(d.lang, spec.Binary, err))
		}
		if !fi.Mode().IsRegular() || (h.goos != sysservice.Windows && fi.Mode()&0o111 == 0) {
			return spec, nil, errors.New(serviceTexts.notExecutable.In(d.lang, spec.Binary))
		}
	}
	if h.isTemp(spec.Config) {
		suggest := "/etc/e5renew/"
		if t.Scope == sysservice.User {
			suggest = filepath.Join(t.Home, ".config", "e5renew") + string(filepath.Separator)
		}
		if err := problem(serviceTexts.tempConfig.In(d.lang, spec.Config, suggest)); err != nil {
			return spec, nil, err
		}
	}
	cfg, cerr := h.loadAsService(d, spec)
	if cerr != nil {
		if strict {
			return spec, nil, cerr
		}
		fmt.Fprintln(d.stderr, serviceTexts.printConfig.In(d.lang, cerr))
	} else {
		if p, err := filepath.Abs(cfg.DataPath()); err == nil {
			spec.DataDir = p
		}
		spec.StopTimeout = sysservice.StopTimeout(cfg.DaemonSettings().ShutdownTimeout)
	}
	return spec, cfg, localized(d, spec.Validate())
}

// isTemp reports whether p is in a temporary directory or a Go build cache (go run).
func (h *serviceHost) isTemp(p string) bool {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	for _, dir := range h.tempDirs {
		if rel, err := filepath.Rel(dir, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	for _, part := range strings.Split(filepath.ToSlash(p), "/") {
		if strings.HasPrefix(part, "go-build") {
			return true
		}
	}
	return false
}

// loadAsService loads the configuration with the environment the service will have: on
// Linux the variables of the environment file beside it, elsewhere none. A configuration
// whose ${NAME} references only the shell resolves would make a service that fails at
// every start.
func (h *serviceHost) loadAsService(d *deps, spec sysservice.Spec) (*config.Config, error) {
	data, err := os.ReadFile(spec.Config)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			_, err = config.Load(spec.Config) // its message says how to create one
		}
		return nil, errors.New(serviceTexts.badConfig.In(d.lang, err))
	}
	env := map[string]string{}
	if ef := spec.EnvFile(); ef != "" {
		if b, err := os.ReadFile(ef); err == nil {
			env = sysservice.ParseEnvFile(string(b))
			if fi, err := os.Stat(ef); err == nil && fi.Mode().Perm()&0o077 != 0 {
				fmt.Fprintln(d.stderr, serviceTexts.envFileMode.In(d.lang, ef, fi.Mode().Perm()))
			}
		}
	}
	cfg, err := config.Parse(spec.Config, data, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "environment variable") {
			if ef := spec.EnvFile(); ef != "" {
				msg += "\n" + serviceTexts.envHintFile.In(d.lang, ef)
			} else {
				msg += "\n" + serviceTexts.envHintNone.In(d.lang)
			}
		}
		return nil, errors.New(serviceTexts.badConfig.In(d.lang, msg))
	}
	// E5RENEW_* variables of the shell (the key, endpoints) change what the daemon does;
	// the service will not have them unless the environment file gives them.
	var names []string
	for _, k := range []string{"E5RENEW_KEY", config.EnvAuthorityURL, config.EnvGraphURL} {
		if v, ok := d.getenv(k); ok && v != "" {
			if _, inFile := env[k]; !inFile {
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	for _, k := range names {
		where := ""
		if ef := spec.EnvFile(); ef != "" {
			where = ": " + ef
		}
		fmt.Fprintln(d.stderr, serviceTexts.shellEnv.In(d.lang, k, where))
	}
	return cfg, nil
}

func serviceInstall(ctx context.Context, d *deps, h *serviceHost, f *serviceFlags, s specFlags, force, dryRun bool) error {
	t, err := h.target(d, h.goos, f)
	if err != nil {
		return err
	}
	spec, cfg, err := h.spec(d, t, s, true)
	if err != nil {
		return err
	}
	var uid, gid int
	if spec.RunAs != "" {
		if uid, gid, err = h.account(spec.RunAs, spec.RunGroup); err != nil {
			return errors.New(serviceTexts.noAccount.In(d.lang, s.runAs, err))
		}
	}
	var ex sysservice.Existing
	var file *sysservice.File
	var fpath string
	if t.OS == sysservice.Windows {
		// A read-only question, asked in a dry run too: which commands install runs depends on it.
		if q := t.QueryCmd(); q != nil {
			if out, err := h.runner.Run(ctx, q.Argv); err == nil {
				bin, _ := sysservice.ParseSCBinPath(out)
				ex = sysservice.Existing{Installed: true, Same: strings.EqualFold(bin, spec.WindowsBinPath())}
				if !ex.Same && !force {
					return errors.New(serviceTexts.windowsDiffers.In(d.lang, t.Name, bin))
				}
			}
		}
	} else {
		if file, err = spec.Render(); err != nil {
			return localized(d, err)
		}
		fpath = filepath.Join(h.root, filepath.FromSlash(file.Path))
		old, err := os.ReadFile(fpath)
		switch {
		case err == nil:
			ex = sysservice.Existing{Installed: true, Same: string(old) == file.Content}
			if !ex.Same && !force {
				return errors.New(serviceTexts.differs.In(d.lang, file.Path))
			}
		case !errors.Is(err, fs.ErrNotExist):
			return permissionHint(d, err)
		}
	}
	cmds := spec.InstallCmds(ex)
	if dryRun {
		if file != nil {
			if ex.Same {
				fmt.Fprintln(d.stdout, serviceTexts.upToDate.In(d.lang, file.Path))
			} else {
				fmt.Fprintln(d.stdout, serviceTexts.wouldWrite.In(d.lang, file.Path))
				fmt.Fprintln(d.stdout)
				fmt.Fprintln(d.stdout, file.Content)
			}
		}
		printWouldRun(d, t.OS, cmds)
		fmt.Fprintln(d.stdout, serviceTexts.nothingRun.In(d.lang))
		return nil
	}
	if file != nil {
		if ex.Same {
			fmt.Fprintln(d.stdout, serviceTexts.upToDate.In(d.lang, file.Path))
		} else {
			if err := writeFileAtomic(fpath, []byte(file.Content), 0o644); err != nil {
				return permissionHint(d, err)
			}
			fmt.Fprintln(d.stdout, serviceTexts.wrote.In(d.lang, file.Path))
		}
	}
	// The daemon creates its data directory, but one it cannot create (the sandbox makes
	// the rest read-only, or --run-as cannot write the parent) is better made now.
	if _, err := os.Stat(spec.DataDir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(spec.DataDir, 0o700); err != nil {
			return err
		}
		if spec.RunAs != "" {
			if err := os.Chown(spec.DataDir, uid, gid); err != nil {
				return err
			}
		}
	}
	if err := runServiceCmds(ctx, d, h, t, cmds); err != nil {
		return err
	}
	fmt.Fprintln(d.stdout)
	switch {
	case t.OS == sysservice.Windows:
		fmt.Fprintln(d.stdout, serviceTexts.installedWindows.In(d.lang, t.Name))
	case t.OS == sysservice.Darwin && t.Scope == sysservice.System:
		fmt.Fprintln(d.stdout, serviceTexts.installedDaemon.In(d.lang, t.Name))
	case t.OS == sysservice.Darwin:
		fmt.Fprintln(d.stdout, serviceTexts.installedAgent.In(d.lang, t.Name))
	case t.Scope == sysservice.System:
		fmt.Fprintln(d.stdout, serviceTexts.installed.In(d.lang, t.Name))
	default:
		fmt.Fprintln(d.stdout, serviceTexts.installedUser.In(d.lang, t.Name))
	}
	listen := cfg.DaemonSettings().Listen
	if url := dashboardURL(listen); url != "" {
		fmt.Fprintln(d.stdout, serviceTexts.dashboard.In(d.lang, url))
		setpw := quoteCmd(t.OS, spec.Binary, "admin", "set-password", "-c", spec.Config)
		if spec.RunAs != "" {
			setpw = "sudo -u " + spec.RunAs + " " + setpw
		}
		fmt.Fprintln(d.stdout, serviceTexts.password.In(d.lang, spec.LogsCmd(), setpw))
	} else {
		fmt.Fprintln(d.stdout, serviceTexts.dashboardOff.In(d.lang))
	}
	if spec.StopTimeout > sysservice.MinStopTimeout {
		fmt.Fprintln(d.stdout, serviceTexts.timeoutNote.In(d.lang, spec.StopTimeout))
	}
	if t.OS == sysservice.Linux && t.Scope == sysservice.User {
		if name, err := h.username(); err == nil {
			if _, err := os.Stat(filepath.Join(h.root, "var/lib/systemd/linger", name)); err != nil {
				fmt.Fprintln(d.stdout, serviceTexts.linger.In(d.lang, name))
			}
		}
	}
	if t.Scope == sysservice.System && spec.RunAs == "" && t.OS != sysservice.Windows {
		if su, ok := d.getenv("SUDO_USER"); ok && su != "" && su != "root" {
			fmt.Fprintln(d.stdout, serviceTexts.sudoUser.In(d.lang, su, su, su))
		}
	}
	scope := ""
	if f.user {
		scope = " --user"
	} else if f.system {
		scope = " --system"
	}
	if t.Name != sysservice.DefaultName {
		scope += " --name " + t.Name
	}
	fmt.Fprintln(d.stdout, serviceTexts.manage.In(d.lang, scope))
	return nil
}

func serviceUninstall(ctx context.Context, d *deps, h *serviceHost, f *serviceFlags, force, dryRun bool) error {
	t, err := h.target(d, h.goos, f)
	if err != nil {
		return err
	}
	before, after := t.UninstallCmds()
	var fpath string
	if t.OS == sysservice.Windows {
		q := t.QueryCmd()
		out, err := h.runner.Run(ctx, q.Argv)
		if err != nil {
			fmt.Fprintln(d.stdout, serviceTexts.notInstalled.In(d.lang, t.Name, strings.TrimSpace(out)))
			return nil
		}
		if bin, _ := sysservice.ParseSCBinPath(out); !strings.Contains(bin, " serve") && !force {
			return errors.New(serviceTexts.windowsNotOurs.In(d.lang, t.Name, bin))
		}
	} else {
		fpath = filepath.Join(h.root, filepath.FromSlash(t.UnitPath()))
		old, err := os.ReadFile(fpath)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintln(d.stdout, serviceTexts.notInstalled.In(d.lang, t.Name, t.UnitPath()))
			return nil
		}
		if err != nil {
			return permissionHint(d, err)
		}
		if !strings.Contains(string(old), sysservice.Marker) && !force {
			return errors.New(serviceTexts.notOurs.In(d.lang, t.UnitPath()))
		}
	}
	if dryRun {
		printWouldRun(d, t.OS, before)
		if fpath != "" {
			fmt.Fprintln(d.stdout, serviceTexts.wouldRemove.In(d.lang, t.UnitPath()))
			printWouldRun(d, t.OS, after)
		}
		fmt.Fprintln(d.stdout, serviceTexts.nothingRun.In(d.lang))
		return nil
	}
	if err := runServiceCmds(ctx, d, h, t, before); err != nil {
		return err
	}
	if fpath != "" {
		if err := os.Remove(fpath); err != nil {
			return permissionHint(d, err)
		}
		fmt.Fprintln(d.stdout, serviceTexts.removed.In(d.lang, t.UnitPath()))
		if err := runServiceCmds(ctx, d, h, t, after); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(d.stdout, serviceTexts.removed.In(d.lang, t.Name))
	}
	fmt.Fprintln(d.stdout, serviceTexts.keptData.In(d.lang))
	return nil
}

func printWouldRun(d *deps, goos string, cmds []sysservice.Cmd) {
	if len(cmds) == 0 {
		return
	}
	fmt.Fprintln(d.stdout, serviceTexts.wouldRun.In(d.lang))
	for _, c := range cmds {
		fmt.Fprintln(d.stdout, "  "+c.String(goos))
	}
}

// runServiceCmds runs cmds in order, showing each and its output; the first failure of a
// command that may not fail stops them.
func runServiceCmds(ctx context.Context, d *deps, h *serviceHost, t sysservice.Target, cmds []sysservice.Cmd) error {
	prompt := "$ "
	if t.OS == sysservice.Windows {
		prompt = "> "
	}
	for _, c := range cmds {
		fmt.Fprintln(d.stdout, prompt+c.String(t.OS))
		out, err := h.runner.Run(ctx, c.Argv)
		if out = strings.TrimRight(out, "\r\n"); out != "" {
			fmt.Fprintln(d.stdout, indent(out))
		}
		if err != nil && !c.MayFail {
			return cmdError(d, t, c, err, out)
		}
	}
	return nil
}

// cmdError explains a failed command and what to do about it.
func cmdError(d *deps, t sysservice.Target, c sysservice.Cmd, err error, out string) error {
	if errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "executable file not found") {
		return errors.New(serviceTexts.notFound.In(d.lang, c.Argv[0]))
	}
	hint := ""
	switch {
	case t.OS == sysservice.Windows:
		hint = "\n" + serviceTexts.elevated.In(d.lang)
	case t.OS == sysservice.Linux && (strings.Contains(out, "not been booted with systemd") || strings.Contains(out, "systemd as init system")):
		hint = "\n" + serviceTexts.noSystemd.In(d.lang)
	case t.OS == sysservice.Linux && t.Scope == sysservice.User && (strings.Contains(out, "bus") || strings.Contains(out, "XDG_RUNTIME_DIR")):
		hint = "\n" + serviceTexts.userBus.In(d.lang)
	case t.Scope == sysservice.System && (strings.Contains(out, "Access denied") || strings.Contains(out, "Operation not permitted") ||
		strings.Contains(out, "Interactive authentication required")):
		hint = "\n" + serviceTexts.permission.In(d.lang, "")
	}
	return errors.New(serviceTexts.cmdFailed.In(d.lang, c.String(t.OS), err, hint))
}

func permissionHint(d *deps, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return errors.New(serviceTexts.permission.In(d.lang, err))
	}
	return err
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// quoteCmd renders a command line for the user to type on goos.
func quoteCmd(goos string, argv ...string) string {
	return sysservice.Cmd{Argv: argv}.String(goos)
}

// dashboardURL is the address to open for a listen address; "" when the daemon serves no
// HTTP.
func dashboardURL(listen string) string {
	switch strings.ToLower(strings.TrimSpace(listen)) {
	case "", "-", "off", "none":
		return ""
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// writeFileAtomic writes a whole file or nothing: a service manager reading it
// half-written would fail.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
