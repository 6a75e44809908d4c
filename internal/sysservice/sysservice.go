// Package sysservice renders what it takes to run `e5renew serve` as a service of the
// operating system, started at boot (or at login) and restarted when it fails: a systemd
// unit on Linux, a launchd property list on macOS and the sc.exe commands that register a
// Windows service; and the commands that install, start, stop, inspect and remove it.
//
// Everything here is a pure function of a Spec, so that `e5renew service print` can show any
// system's files on any system, and tests can check them without touching the machine. The
// commands run through a Runner, which tests replace with a recorder.
package sysservice

import (
	"errors"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/e5renew/e5renew/internal/i18n"
)

// The operating systems a service can be rendered for (runtime.GOOS values).
const (
	Linux   = "linux"
	Darwin  = "darwin"
	Windows = "windows"
)

// Scope says which service manager runs the service.
type Scope string

const (
	// System services start at boot (systemd's system instance, a launchd daemon, a
	// Windows service); installing one needs root or an administrator.
	System Scope = "system"
	// User services belong to one user (systemd --user, a launchd agent): they start when
	// the user logs in (or at boot with systemd's lingering).
	User Scope = "user"
)

// DefaultName is the service's name unless --name says otherwise.
const DefaultName = "e5renew"

// MinStopTimeout is the least time the service manager gives the daemon to stop after
// SIGTERM before killing it: above the daemon's default shutdown_timeout (30s), so rounds in
// flight can clean up what they created.
const MinStopTimeout = 45 * time.Second

// stopMargin is added to the daemon's shutdown_timeout for the service manager's timeout.
const stopMargin = 15 * time.Second

// StopTimeout is how long the service manager waits for the daemon to stop, given the
// daemon's own shutdown timeout.
func StopTimeout(shutdown time.Duration) time.Duration {
	return max(MinStopTimeout, shutdown+stopMargin)
}

// Marker is written into every file install writes, so that uninstall removes only files
// e5renew wrote.
const Marker = "Written by `e5renew service install`"

// Target names a service: on which system, in which scope, under which name.
type Target struct {
	OS    string
	Scope Scope
	Name  string
	// Home is the user's home directory (systemd user units, launchd agents and their log).
	Home string
	// UID is the user's id, for launchd's gui/<uid> domain; negative when unknown (printing
	// another system's files), which renders as $(id -u).
	UID int
}

// Spec is a service to install: its target and what it runs.
type Spec struct {
	Target
	// Binary is the absolute path of the e5renew executable.
	Binary string
	// Config is the absolute path of the configuration file; its directory is the
	// service's working directory.
	Config string
	// DataDir is the configuration's data_dir, absolute.
	DataDir string
	// RunAs and RunGroup are the account a system service runs as (systemd User=/Group=,
	// launchd UserName/GroupName); empty: root (Linux, macOS).
	RunAs, RunGroup string
	// StopTimeout is how long the service manager waits after SIGTERM (see StopTimeout).
	StopTimeout time.Duration
}

// Error is a user-facing error in both languages.
type Error struct {
	Text i18n.Text
	Args []any
}

func (e *Error) Error() string { return e.Text.In(i18n.EN, e.Args...) }

// In is the message in lang.
func (e *Error) In(lang i18n.Lang) string { return e.Text.In(lang, e.Args...) }

// Localize returns err's message in lang when it is an *Error, else err.Error().
func Localize(err error, lang i18n.Lang) string {
	var e *Error
	if errors.As(err, &e) {
		return e.In(lang)
	}
	return err.Error()
}

func newError(t i18n.Text, args ...any) error { return &Error{Text: t, Args: args} }

// Texts of the errors this package returns.
var Texts = struct {
	BadOS, BadScope, BadName, WindowsUser, RunAsUser, RunAsWindows, BadRunAs, NotAbsolute, Control, WindowsChars, ProgramChars, NoHome i18n.Text
}{
	BadOS:        i18n.Text{EN: "unknown system %q: use linux, darwin or windows", ZH: "未知的系统 %q：请使用 linux、darwin 或 windows"},
	BadScope:     i18n.Text{EN: "unknown scope %q: use system or user", ZH: "未知的范围 %q：请使用 system 或 user"},
	BadName:      i18n.Text{EN: "service name %q: use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)", ZH: "服务名 %q：只能使用字母、数字、'.'、'_' 和 '-'（最多 64 个字符，以字母或数字开头）"},
	WindowsUser:  i18n.Text{EN: "Windows services are system-wide: drop --user (and run the command from an elevated prompt)", ZH: "Windows 服务是系统级的：请去掉 --user（并在以管理员身份运行的命令提示符中执行）"},
	RunAsUser:    i18n.Text{EN: "--run-as is for system services only: a --user service runs as you", ZH: "--run-as 只适用于系统服务：--user 服务以你自己的身份运行"},
	RunAsWindows: i18n.Text{EN: "--run-as is not supported on Windows: the service runs as LocalSystem (change the account in services.msc if you must)", ZH: "Windows 不支持 --run-as：服务以 LocalSystem 身份运行（如确需更改，请在 services.msc 中修改账户）"},
	BadRunAs:     i18n.Text{EN: "--run-as %q: give a user name, optionally user:group, made of letters, digits, '.', '_' and '-'", ZH: "--run-as %q：请给出用户名，可写作 用户:组，只能包含字母、数字、'.'、'_' 和 '-'"},
	NotAbsolute:  i18n.Text{EN: "%s %q is not an absolute path on %s", ZH: "%s %q 不是 %s 上的绝对路径"},
	Control:      i18n.Text{EN: "%s %q contains a control character (a newline?): a service file cannot hold it", ZH: "%s %q 含有控制字符（换行？）：服务文件无法容纳"},
	WindowsChars: i18n.Text{EN: "%s %q contains one of %s, which sc.exe and cmd.exe cannot quote reliably: move it to a folder without them", ZH: "%s %q 含有 %s 之一，sc.exe 与 cmd.exe 无法可靠地引用：请移到不含这些字符的文件夹"},
	ProgramChars: i18n.Text{EN: "the program %q: systemd refuses a program path with a quote or a backslash: move e5renew, e.g. to /usr/local/bin", ZH: "程序 %q：systemd 不接受含引号或反斜杠的程序路径：请把 e5renew 移到别处，例如 /usr/local/bin"},
	NoHome:       i18n.Text{EN: "the home directory is unknown (is $HOME set?): a user service needs it", ZH: "无法确定主目录（是否设置了 $HOME？）：用户服务需要它"},
}

var (
	reName  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	reRunAs = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$`)
)

// Validate checks a target.
func (t Target) Validate() error {
	switch t.OS {
	case Linux, Darwin, Windows:
	default:
		return newError(Texts.BadOS, t.OS)
	}
	switch t.Scope {
	case System, User:
	default:
		return newError(Texts.BadScope, string(t.Scope))
	}
	if !reName.MatchString(t.Name) {
		return newError(Texts.BadName, t.Name)
	}
	if t.OS == Windows && t.Scope == User {
		return newError(Texts.WindowsUser)
	}
	if t.needsHome() {
		if t.Home == "" {
			return newError(Texts.NoHome)
		}
		if err := checkPath(t.OS, "home", t.Home); err != nil {
			return err
		}
	}
	return nil
}

func (t Target) needsHome() bool { return t.Scope == User && t.OS != Windows }

// Validate checks a spec: a valid target, absolute paths for its system that its formats
// can hold, and an account only where one can be given.
func (s Spec) Validate() error {
	if err := s.Target.Validate(); err != nil {
		return err
	}
	for _, p := range []struct{ what, path string }{{"binary", s.Binary}, {"config", s.Config}, {"data_dir", s.DataDir}} {
		if err := checkPath(s.OS, p.what, p.path); err != nil {
			return err
		}
	}
	if s.OS == Linux && strings.ContainsAny(s.Binary, `"'\`) {
		return newError(Texts.ProgramChars, s.Binary)
	}
	if s.RunAs != "" || s.RunGroup != "" {
		if s.OS == Windows {
			return newError(Texts.RunAsWindows)
		}
		if s.Scope == User {
			return newError(Texts.RunAsUser)
		}
		for _, n := range []string{s.RunAs, s.RunGroup} {
			if n != "" && !reRunAs.MatchString(n) {
				return newError(Texts.BadRunAs, n)
			}
		}
	}
	return nil
}

// windowsUnquotable are characters a path may hold on Windows that cmd.exe interprets even
// inside the quoting sc.exe needs ("\"...\""), or that cannot be in a path at all.
const windowsUnquotable = `"%&|<>^`

func checkPath(goos, what, p string) error {
	if !IsAbs(goos, p) {
		return newError(Texts.NotAbsolute, what, p, goos)
	}
	if strings.ContainsFunc(p, unicode.IsControl) {
		return newError(Texts.Control, what, p)
	}
	if goos == Windows && strings.ContainsAny(p, windowsUnquotable) {
		return newError(Texts.WindowsChars, what, p, strings.Join(strings.Split(windowsUnquotable, ""), " "))
	}
	return nil
}

// IsAbs reports whether p is an absolute path on goos (whatever system this runs on).
func IsAbs(goos, p string) bool {
	if goos != Windows {
		return strings.HasPrefix(p, "/")
	}
	if strings.HasPrefix(p, `\\`) { // UNC
		return len(p) > 2
	}
	return len(p) >= 3 && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// Dir is the directory of an absolute path on goos.
func Dir(goos, p string) string {
	if goos != Windows {
		return path.Dir(p)
	}
	p = strings.ReplaceAll(p, "/", `\`)
	i := strings.LastIndex(p, `\`)
	if i < 0 {
		return p
	}
	if i == 2 && p[1] == ':' { // C:\file
		return p[:3]
	}
	return p[:i]
}

// Join joins path elements on goos.
func Join(goos string, elem ...string) string {
	if goos != Windows {
		return path.Join(elem...)
	}
	var b strings.Builder
	for i, e := range elem {
		if i > 0 && !strings.HasSuffix(b.String(), `\`) {
			b.WriteByte('\\')
		}
		b.WriteString(strings.TrimPrefix(e, `\`))
	}
	return b.String()
}

// within reports whether p is dir or inside it (both clean absolute POSIX paths).
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// Label is the launchd label: io.github.<name>.
func (t Target) Label() string { return "io.github." + t.Name }

// UnitPath is where install writes the service's file: the systemd unit or the launchd
// property list; "" on Windows, where the service lives in the registry.
func (t Target) UnitPath() string {
	switch {
	case t.OS == Linux && t.Scope == System:
		return "/etc/systemd/system/" + t.Name + ".service"
	case t.OS == Linux:
		return path.Join(t.Home, ".config/systemd/user", t.Name+".service")
	case t.OS == Darwin && t.Scope == System:
		return "/Library/LaunchDaemons/" + t.Label() + ".plist"
	case t.OS == Darwin:
		return path.Join(t.Home, "Library/LaunchAgents", t.Label()+".plist")
	}
	return ""
}

// LogPath is where the service's output goes when it is a file: launchd's
// StandardOutPath, the Windows service's log beside the configuration; "" on Linux, where
// the journal keeps it.
func (s Spec) LogPath() string {
	switch {
	case s.OS == Darwin && s.Scope == System:
		return "/Library/Logs/" + s.Name + ".log"
	case s.OS == Darwin:
		return path.Join(s.Home, "Library/Logs", s.Name+".log")
	case s.OS == Windows:
		return WindowsLogPath(s.Config)
	}
	return ""
}

// WindowsLogPath is where a Windows service's output goes: e5renew.log beside the
// configuration (the service control manager gives a service no console).
func WindowsLogPath(config string) string {
	return Join(Windows, Dir(Windows, config), "e5renew.log")
}

// EnvFileName is the file of environment variables beside the configuration that the
// systemd unit reads (EnvironmentFile=), for the ${VAR} references of the configuration.
const EnvFileName = "e5renew.env"

// EnvFile is the environment file the service reads ("" where there is none: launchd and
// Windows services have no such file).
func (s Spec) EnvFile() string {
	if s.OS != Linux {
		return ""
	}
	return path.Join(path.Dir(s.Config), EnvFileName)
}

// WorkDir is the service's working directory: the configuration's.
func (s Spec) WorkDir() string { return Dir(s.OS, s.Config) }

// File is a file install writes.
type File struct {
	Path    string
	Content string
}

// Render returns the file install writes for s (nil on Windows, where sc.exe registers the
// service).
func (s Spec) Render() (*File, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	switch s.OS {
	case Linux:
		return &File{Path: s.UnitPath(), Content: s.systemdUnit()}, nil
	case Darwin:
		return &File{Path: s.UnitPath(), Content: s.launchdPlist()}, nil
	}
	return nil, nil
}

// Cmd is one command install, uninstall, start, stop or status runs.
type Cmd struct {
	Argv []string
	// MayFail marks a command whose failure is expected in some states (stopping a stopped
	// service, loading a loaded job): it is not an error.
	MayFail bool
}

func cmd(argv ...string) Cmd     { return Cmd{Argv: argv} }
func mayFail(argv ...string) Cmd { return Cmd{Argv: argv, MayFail: true} }

// String renders the command as it is typed: in a POSIX shell, or in cmd.exe on Windows.
func (c Cmd) String(goos string) string {
	q := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		if goos == Windows {
			q[i] = WindowsArg(a, false)
		} else {
			q[i] = ShellQuote(a)
		}
	}
	return strings.Join(q, " ")
}

// Existing is what is installed under the target's name, as far as install must know.
type Existing struct {
	// Installed: the file exists (Linux, macOS) or the service is registered (Windows).
	Installed bool
	// Same: what is installed is what install would install.
	Same bool
}

// InstallCmds are the commands install runs after writing the file, given what was
// installed before.
func (s Spec) InstallCmds(ex Existing) []Cmd {
	switch s.OS {
	case Linux:
		sc := s.systemctl()
		switch {
		case ex.Installed && ex.Same:
			return []Cmd{cmd(append(sc, "enable", "--now", s.Name)...)}
		case ex.Installed:
			return []Cmd{cmd(append(sc, "daemon-reload")...), cmd(append(sc, "enable", s.Name)...), cmd(append(sc, "restart", s.Name)...)}
		}
		return []Cmd{cmd(append(sc, "daemon-reload")...), cmd(append(sc, "enable", "--now", s.Name)...)}
	case Darwin:
		enable := cmd("launchctl", "enable", s.launchdTarget())
		bootstrap := cmd("launchctl", "bootstrap", s.launchdDomain(), s.UnitPath())
		switch {
		case ex.Installed && ex.Same:
			// Loaded already (bootstrap fails then) or not: either way kickstart starts it
			// if it is not running, and leaves it alone if it is.
			bootstrap.MayFail = true
			return []Cmd{enable, bootstrap, cmd("launchctl", "kickstart", s.launchdTarget())}
		case ex.Installed:
			return []Cmd{mayFail("launchctl", "bootout", s.launchdTarget()), enable, bootstrap}
		}
		return []Cmd{enable, bootstrap}
	case Windows:
		setup := []Cmd{
			cmd("sc.exe", "description", s.Name, windowsDescription),
			// Restart 10 s after a failure (like Restart=on-failure, RestartSec=10), the
			// third time after a minute; forget failures after a day.
			cmd("sc.exe", "failure", s.Name, "reset=", "86400", "actions=", "restart/10000/restart/10000/restart/60000"),
			// A non-zero exit counts as a failure too, not only a crash.
			cmd("sc.exe", "failureflag", s.Name, "1"),
		}
		start := cmd("net.exe", "start", s.Name)
		switch {
		case ex.Installed && ex.Same:
			start.MayFail = true // already running
			return []Cmd{start}
		case ex.Installed:
			cmds := []Cmd{mayFail("net.exe", "stop", s.Name), cmd(append([]string{"sc.exe", "config", s.Name}, s.scArgs()...)...)}
			return append(append(cmds, setup...), start)
		}
		cmds := []Cmd{cmd(append([]string{"sc.exe", "create", s.Name}, s.scArgs()...)...)}
		return append(append(cmds, setup...), start)
	}
	return nil
}

// UninstallCmds are the commands uninstall runs before removing the file (before) and
// after (after).
func (t Target) UninstallCmds() (before, after []Cmd) {
	switch t.OS {
	case Linux:
		sc := t.systemctl()
		return []Cmd{mayFail(append(sc, "disable", "--now", t.Name)...)}, []Cmd{cmd(append(sc, "daemon-reload")...)}
	case Darwin:
		return []Cmd{mayFail("launchctl", "bootout", t.launchdTarget())}, nil
	case Windows:
		return []Cmd{mayFail("net.exe", "stop", t.Name), cmd("sc.exe", "delete", t.Name)}, nil
	}
	return nil, nil
}

// StartCmds start the installed service now.
func (t Target) StartCmds() []Cmd {
	switch t.OS {
	case Linux:
		return []Cmd{cmd(append(t.systemctl(), "start", t.Name)...)}
	case Darwin:
		// Load the job if stop unloaded it (fails harmlessly when it is loaded), then start
		// it if it is not running.
		return []Cmd{mayFail("launchctl", "bootstrap", t.launchdDomain(), t.UnitPath()), cmd("launchctl", "kickstart", t.launchdTarget())}
	case Windows:
		return []Cmd{cmd("net.exe", "start", t.Name)}
	}
	return nil
}

// StopCmds stop the running service; it starts again at the next boot (or login).
func (t Target) StopCmds() []Cmd {
	switch t.OS {
	case Linux:
		return []Cmd{cmd(append(t.systemctl(), "stop", t.Name)...)}
	case Darwin:
		// KeepAlive would restart a job merely killed: unload it (until the next login or
		// boot, or `service start`).
		return []Cmd{cmd("launchctl", "bootout", t.launchdTarget())}
	case Windows:
		return []Cmd{cmd("net.exe", "stop", t.Name)}
	}
	return nil
}

// StatusCmd shows the service's state.
func (t Target) StatusCmd() Cmd {
	switch t.OS {
	case Linux:
		return cmd(append(t.systemctl(), "status", "--no-pager", t.Name)...)
	case Darwin:
		return cmd("launchctl", "print", t.launchdTarget())
	}
	return cmd("sc.exe", "query", t.Name)
}

// QueryCmd asks Windows how the service is registered (see ParseSCBinPath); nil elsewhere,
// where the file says it.
func (t Target) QueryCmd() *Cmd {
	if t.OS != Windows {
		return nil
	}
	c := cmd("sc.exe", "qc", t.Name)
	return &c
}

// LogsCmd shows the service's output, where the dashboard password of the first start is.
func (s Spec) LogsCmd() string {
	switch s.OS {
	case Linux:
		if s.Scope == User {
			return "journalctl --user-unit " + s.Name
		}
		return "journalctl -u " + s.Name
	case Darwin:
		return "tail -f " + ShellQuote(s.LogPath())
	}
	return "type " + WindowsArg(s.LogPath(), false)
}

func (t Target) systemctl() []string {
	if t.Scope == User {
		return []string{"systemctl", "--user"}
	}
	return []string{"systemctl"}
}

// ShellQuote quotes s for a POSIX shell: as is when it holds only safe characters, else in
// single quotes. $(id -u), which this package writes itself for an unknown user id, is put
// in double quotes so the shell still expands it.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if strings.Contains(s, uidSubst) {
		return `"` + s + `"`
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// WindowsArg quotes s as one argument of a Windows command line, the way the C runtime
// (and so sc.exe) splits it back and the way Go's os/exec joins arguments on Windows: in
// double quotes when it holds a space, a tab or a quote (always when force is set), a quote
// escaped as \", and backslashes doubled only where they precede a quote.
func WindowsArg(s string, force bool) string {
	if s == "" {
		return `""`
	}
	if !force && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, slashes)) // before the closing quote
	b.WriteByte('"')
	return b.String()
}
