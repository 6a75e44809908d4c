package sysservice

import (
	"fmt"
	"path"
	"strings"
)

// systemdUnit renders the systemd unit. The system unit is sandboxed as far as the daemon
// allows: the whole file system read-only except the configuration's directory (the daemon
// may rewrite its configuration) and the data directory (state database, key), a private
// /tmp, no new privileges. A user unit gets only the hardening that works without user
// namespaces: a user's service manager can set up the file system sandbox only when the
// kernel lets it create a user namespace (PrivateUsers=), which not every system allows, and
// the service would then fail to start.
func (s Spec) systemdUnit() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	sc := strings.Join(s.systemctl(), " ")
	journal := s.LogsCmd()
	line("# e5renew: keeps Microsoft 365 E5 developer subscriptions active.")
	line("# %s; `e5renew service print` shows it without installing.", Marker)
	line("# To install it by hand, save it as %s, then run:", s.UnitPath())
	line("#   %s daemon-reload && %s enable --now %s", sc, sc, s.Name)
	line("# Logs, and the dashboard password printed once on the first start: %s", journal)
	line("# Reload the configuration: %s reload %s; stop: %s stop %s", sc, s.Name, sc, s.Name)
	if s.Scope == User {
		line("# A user service runs while you are logged in; to start it at boot and keep it")
		line("# running after you log out: loginctl enable-linger")
	}
	line("# Variables the configuration references as ${NAME} go into %s (NAME=value).", s.EnvFile())
	line("")
	line("[Unit]")
	line("Description=e5renew: keep Microsoft 365 E5 developer subscriptions active")
	line("Documentation=https://github.com/e5renew/e5renew")
	if s.Scope == System {
		// A user manager has no network-online.target; the daemon retries without network.
		line("After=network-online.target")
		line("Wants=network-online.target")
	}
	line("")
	line("[Service]")
	line("Type=simple")
	if s.RunAs != "" {
		line("User=%s", s.RunAs)
	}
	if s.RunGroup != "" {
		line("Group=%s", s.RunGroup)
	}
	line("WorkingDirectory=%s", systemdPath(s.WorkDir()))
	line("EnvironmentFile=-%s", systemdPath(s.EnvFile()))
	line("ExecStart=%s serve -c %s", systemdExecArg(s.Binary, true), systemdExecArg(s.Config, false))
	line("ExecReload=/bin/kill -HUP $MAINPID")
	line("Restart=on-failure")
	line("RestartSec=10")
	line("TimeoutStopSec=%d", int(s.StopTimeout.Seconds()))
	line("KillSignal=SIGTERM")
	line("# Hardening that leaves the daemon what it needs (network, its files).")
	line("NoNewPrivileges=yes")
	line("RestrictSUIDSGID=yes")
	line("LockPersonality=yes")
	if s.Scope == System {
		line("# The file system is read-only except the configuration's directory (the daemon may")
		line("# rewrite the configuration) and the data directory (state database, key).")
		line("ProtectSystem=strict")
		line("ProtectHome=read-only")
		line("ReadWritePaths=%s", strings.Join(s.readWritePaths(), " "))
		line("PrivateTmp=yes")
		line("ProtectKernelTunables=yes")
		line("ProtectControlGroups=yes")
	}
	line("")
	line("[Install]")
	if s.Scope == System {
		line("WantedBy=multi-user.target")
	} else {
		line("WantedBy=default.target")
	}
	return b.String()
}

// readWritePaths are the paths the daemon writes: the configuration's directory and the
// data directory unless it is inside it. ReadWritePaths= nested in ProtectHome=read-only
// makes them writable under /home and /root too (systemd.exec: "Nest ReadWritePaths= inside
// of ReadOnlyPaths="; read-only home is "mostly equivalent to ReadOnlyPaths="). The data
// directory is marked "-" (ignored while it does not exist), so that a data directory
// removed by hand makes the daemon report it rather than systemd refuse to start.
func (s Spec) readWritePaths() []string {
	dir := s.WorkDir()
	out := []string{systemdListPath("", dir)}
	data := path.Clean(s.DataDir)
	if !within(data, dir) {
		out = append(out, systemdListPath("-", data))
	}
	return out
}

// systemdPath writes a path for a setting that takes one path as is (WorkingDirectory=,
// EnvironmentFile=): only "%" is special there (a specifier).
func systemdPath(p string) string { return strings.ReplaceAll(p, "%", "%%") }

// systemdListPath writes a path for a space-separated list of paths (ReadWritePaths=),
// which is unquoted and C-unescaped word by word, then specifier-expanded; prefix ("-") goes
// inside the quotes, where systemd looks for it after unquoting.
func systemdListPath(prefix, p string) string {
	return systemdQuote(prefix + strings.ReplaceAll(p, "%", "%%"))
}

// systemdExecArg writes one word of a command line (ExecStart=): "%" is a specifier
// (doubled), quotes per systemd.syntax(7) when needed; in the arguments but not in the
// program's path, "$" starts a variable (doubled: systemd expands no variables in the
// program's path, where "$$" would stay "$$").
func systemdExecArg(s string, program bool) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if !program {
		s = strings.ReplaceAll(s, "$", "$$")
	}
	return systemdQuote(s)
}

// systemdQuote double-quotes a word that holds whitespace, quotes, backslashes or a
// semicolon, escaping backslashes and double quotes (systemd.syntax(7), "Quoting").
func systemdQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
