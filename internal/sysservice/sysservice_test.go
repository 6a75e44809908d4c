package sysservice

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/i18n"
)

func linuxSpec(scope Scope) Spec {
	return Spec{
		Target:  Target{OS: Linux, Scope: scope, Name: DefaultName, Home: "/home/alice", UID: 1000},
		Binary:  "/usr/local/bin/e5renew",
		Config:  "/etc/e5renew/e5renew.yaml",
		DataDir: "/var/lib/e5renew",
		// the default shutdown_timeout
		StopTimeout: StopTimeout(30 * time.Second),
	}
}

func render(t *testing.T, s Spec) string {
	t.Helper()
	f, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != s.UnitPath() {
		t.Errorf("file path %s, unit path %s", f.Path, s.UnitPath())
	}
	return f.Content
}

// keyLines are the unit's Key=value lines, comments left out.
func keyLines(unit string) []string {
	var out []string
	for _, l := range strings.Split(unit, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "[") {
			out = append(out, l)
		}
	}
	return out
}

func TestServiceSystemdSystemUnit(t *testing.T) {
	s := linuxSpec(System)
	s.RunAs, s.RunGroup = "e5renew", "e5renew"
	unit := render(t, s)
	if s.UnitPath() != "/etc/systemd/system/e5renew.service" {
		t.Errorf("unit path %s", s.UnitPath())
	}
	want := []string{
		"After=network-online.target",
		"Wants=network-online.target",
		"User=e5renew",
		"Group=e5renew",
		"WorkingDirectory=/etc/e5renew",
		"EnvironmentFile=-/etc/e5renew/e5renew.env",
		"ExecStart=/usr/local/bin/e5renew serve -c /etc/e5renew/e5renew.yaml",
		"ExecReload=/bin/kill -HUP $MAINPID",
		"Restart=on-failure",
		"RestartSec=10",
		"TimeoutStopSec=45",
		"KillSignal=SIGTERM",
		"NoNewPrivileges=yes",
		"ProtectSystem=strict",
		"ProtectHome=read-only",
		// the data directory outside the configuration's is listed, "-": it may not exist yet
		"ReadWritePaths=/etc/e5renew -/var/lib/e5renew",
		"PrivateTmp=yes",
		"ProtectKernelTunables=yes",
		"ProtectControlGroups=yes",
		"RestrictSUIDSGID=yes",
		"LockPersonality=yes",
		"WantedBy=multi-user.target",
	}
	lines := keyLines(unit)
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("missing %q in\n%s", w, unit)
		}
	}
	for _, section := range []string{"[Unit]", "[Service]", "[Install]"} {
		if !strings.Contains(unit, "\n"+section+"\n") {
			t.Errorf("no %s section", section)
		}
	}
	if !strings.Contains(unit, Marker) || !strings.Contains(unit, "journalctl -u e5renew") || !strings.Contains(unit, "systemctl daemon-reload && systemctl enable --now e5renew") {
		t.Errorf("the header does not say how to install it and where the logs are:\n%s", unit)
	}
	// Without an account: no User=/Group= (root).
	s.RunAs, s.RunGroup = "", ""
	for _, l := range keyLines(render(t, s)) {
		if strings.HasPrefix(l, "User=") || strings.HasPrefix(l, "Group=") {
			t.Errorf("unexpected %s", l)
		}
	}
	// A longer shutdown_timeout gives the daemon longer to stop.
	s.StopTimeout = StopTimeout(2 * time.Minute)
	if !slices.Contains(keyLines(render(t, s)), "TimeoutStopSec=135") {
		t.Error("TimeoutStopSec does not follow shutdown_timeout")
	}
}

func TestServiceSystemdUserUnit(t *testing.T) {
	s := linuxSpec(User)
	s.Config = "/home/alice/.config/e5renew/e5renew.yaml"
	s.DataDir = "/home/alice/.config/e5renew/e5renew-data"
	unit := render(t, s)
	if s.UnitPath() != "/home/alice/.config/systemd/user/e5renew.service" {
		t.Errorf("unit path %s", s.UnitPath())
	}
	lines := keyLines(unit)
	for _, w := range []string{"WantedBy=default.target", "WorkingDirectory=/home/alice/.config/e5renew",
		"ExecStart=/usr/local/bin/e5renew serve -c /home/alice/.config/e5renew/e5renew.yaml", "NoNewPrivileges=yes", "Restart=on-failure"} {
		if !slices.Contains(lines, w) {
			t.Errorf("missing %q in\n%s", w, unit)
		}
	}
	// No account, no system target, no file system sandbox (a user manager may not be able
	// to set it up, and the service would not start).
	for _, l := range lines {
		for _, bad := range []string{"User=", "Group=", "WantedBy=multi-user", "After=network-online", "ProtectSystem=", "ProtectHome=", "PrivateTmp=", "ReadWritePaths="} {
			if strings.HasPrefix(l, bad) {
				t.Errorf("a user unit has %s", l)
			}
		}
	}
	if !strings.Contains(unit, "loginctl enable-linger") || !strings.Contains(unit, "journalctl --user-unit e5renew") || !strings.Contains(unit, "systemctl --user daemon-reload") {
		t.Errorf("the header lacks the user-unit notes:\n%s", unit)
	}
}

func TestServiceSystemdQuoting(t *testing.T) {
	s := linuxSpec(System)
	s.Binary = "/opt/My Apps/e5renew"
	s.Config = `/srv/e5 renew/100%/a$b\c"d.yaml`
	s.DataDir = "/srv/e5 renew/100%/e5renew-data"
	lines := keyLines(render(t, s))
	for _, w := range []string{
		`ExecStart="/opt/My Apps/e5renew" serve -c "/srv/e5 renew/100%%/a$$b\\c\"d.yaml"`,
		`WorkingDirectory=/srv/e5 renew/100%%`,
		`EnvironmentFile=-/srv/e5 renew/100%%/e5renew.env`,
		// inside the configuration's directory: not listed twice
		`ReadWritePaths="/srv/e5 renew/100%%"`,
	} {
		if !slices.Contains(lines, w) {
			t.Errorf("missing %s in\n%s", w, strings.Join(lines, "\n"))
		}
	}
	s.DataDir = "/var/lib/e5 data"
	if !slices.Contains(keyLines(render(t, s)), `ReadWritePaths="/srv/e5 renew/100%%" "-/var/lib/e5 data"`) {
		t.Errorf("data dir with a space:\n%s", render(t, s))
	}
	// "$" stays single in the program's path: systemd expands no variables there.
	if got := systemdExecArg("/opt/a$b/e5renew", true); got != "/opt/a$b/e5renew" {
		t.Errorf("program path %s", got)
	}
	// systemd refuses programs whose path holds a quote or a backslash: say so now.
	s.Binary = `/opt/it's/e5renew`
	if _, err := s.Render(); err == nil || !strings.Contains(err.Error(), "/usr/local/bin") {
		t.Errorf("program path with a quote: %v", err)
	}
}

// TestServiceSystemdAnalyzeVerify has systemd itself check the rendered units, paths with
// spaces and specials included. systemd-analyze verify needs the program to exist and be
// executable, so the unit points at a real file.
func TestServiceSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit files are not checked by systemd")
	}
	dir := t.TempDir()
	odd := filepath.Join(dir, "my e5 100%", "dir")
	if err := os.MkdirAll(odd, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(odd, "e5renew")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, scope := range []Scope{System, User} {
		t.Run(string(scope), func(t *testing.T) {
			s := linuxSpec(scope)
			s.Binary = bin
			s.Config = filepath.Join(odd, `conf "x" $HOME.yaml`)
			s.DataDir = filepath.Join(dir, "data dir")
			unitDir := filepath.Join(t.TempDir(), "units")
			if err := os.MkdirAll(unitDir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(unitDir, "e5renew.service")
			if err := os.WriteFile(path, []byte(render(t, s)), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"verify", "--man=no"}
			cmd := exec.Command(analyze, append(args, path)...)
			if scope == User {
				rt := t.TempDir()
				cmd = exec.Command(analyze, append(append(args, "--user"), path)...)
				cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+rt)
			}
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "" {
				t.Fatalf("systemd-analyze verify: %v\n%s\n%s", err, out, render(t, s))
			}
		})
	}
	// The check is real: a unit whose program does not exist fails.
	s := linuxSpec(System)
	s.Binary = filepath.Join(dir, "missing")
	s.Config = filepath.Join(dir, "e5renew.yaml")
	path := filepath.Join(t.TempDir(), "e5renew.service")
	if err := os.WriteFile(path, []byte(render(t, s)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput(); err == nil {
		t.Errorf("systemd-analyze accepted a missing program:\n%s", out)
	}
}

// plistValue is a decoded property list value: string, bool, int, []any or map[string]any.
func decodePlist(t *testing.T, text string) map[string]any {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(text))
	dec.Strict = true
	var parse func(start xml.StartElement) any
	parse = func(start xml.StartElement) any {
		switch start.Name.Local {
		case "true", "false":
			if err := dec.Skip(); err != nil {
				t.Fatal(err)
			}
			return start.Name.Local == "true"
		case "string", "integer", "key":
			var s string
			if err := dec.DecodeElement(&s, &start); err != nil {
				t.Fatal(err)
			}
			if start.Name.Local == "integer" {
				var n int
				fmt.Sscan(s, &n)
				return n
			}
			return s
		case "array", "dict", "plist":
			var items []any
			for {
				tok, err := dec.Token()
				if err != nil {
					t.Fatalf("plist: %v", err)
				}
				switch tt := tok.(type) {
				case xml.StartElement:
					items = append(items, parse(tt))
				case xml.EndElement:
					switch start.Name.Local {
					case "array":
						return items
					case "plist":
						return items[0]
					}
					m := map[string]any{}
					if len(items)%2 != 0 {
						t.Fatalf("dict with an odd number of items: %v", items)
					}
					for i := 0; i < len(items); i += 2 {
						m[items[i].(string)] = items[i+1]
					}
					return m
				}
			}
		}
		t.Fatalf("unexpected element %s", start.Name.Local)
		return nil
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			t.Fatal("no plist element")
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, text)
		}
		if st, ok := tok.(xml.StartElement); ok {
			if st.Name.Local != "plist" {
				t.Fatalf("root element %s", st.Name.Local)
			}
			m, ok := parse(st).(map[string]any)
			if !ok {
				t.Fatal("the plist is not a dict")
			}
			return m
		}
	}
}

func TestServiceLaunchdPlist(t *testing.T) {
	s := Spec{
		Target:      Target{OS: Darwin, Scope: User, Name: DefaultName, Home: "/Users/alice", UID: 501},
		Binary:      "/Users/alice/bin/e5renew & co <1>",
		Config:      `/Users/alice/Library/Application Support/e5renew/"e5"'s.yaml`,
		DataDir:     "/Users/alice/Library/Application Support/e5renew/e5renew-data",
		StopTimeout: StopTimeout(30 * time.Second),
	}
	text := render(t, s)
	if s.UnitPath() != "/Users/alice/Library/LaunchAgents/io.github.e5renew.plist" {
		t.Errorf("plist path %s", s.UnitPath())
	}
	p := decodePlist(t, text)
	want := map[string]any{
		"Label":             "io.github.e5renew",
		"ProgramArguments":  []any{s.Binary, "serve", "-c", s.Config},
		"WorkingDirectory":  "/Users/alice/Library/Application Support/e5renew",
		"RunAtLoad":         true,
		"KeepAlive":         map[string]any{"SuccessfulExit": false},
		"ThrottleInterval":  10,
		"ExitTimeOut":       45,
		"StandardOutPath":   "/Users/alice/Library/Logs/e5renew.log",
		"StandardErrorPath": "/Users/alice/Library/Logs/e5renew.log",
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("plist\n got %#v\nwant %#v\n%s", p, want, text)
	}
	if !strings.Contains(text, "<!DOCTYPE plist") || !strings.Contains(text, Marker) {
		t.Error("no doctype or marker")
	}
	// A daemon (system scope) with an account.
	s.Scope, s.RunAs, s.RunGroup = System, "_e5renew", "staff"
	p = decodePlist(t, render(t, s))
	if p["UserName"] != "_e5renew" || p["GroupName"] != "staff" || p["StandardOutPath"] != "/Library/Logs/e5renew.log" || s.UnitPath() != "/Library/LaunchDaemons/io.github.e5renew.plist" {
		t.Errorf("daemon plist %v at %s", p, s.UnitPath())
	}
	// A comment cannot hold "--": a path with it stays well-formed.
	s.Home, s.Scope, s.RunAs, s.RunGroup = "/Users/a--b", User, "", ""
	decodePlist(t, render(t, s))
}

// splitWindowsArgs splits a command line the way the C runtime does (and so sc.exe and
// the Go runtime on Windows): the inverse of WindowsArg.
func splitWindowsArgs(s string) []string {
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(s) && s[i] == '\\' {
				n++
				i++
			}
			if i < len(s) && s[i] == '"' {
				cur.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					cur.WriteByte('"')
				} else {
					quoted = !quoted
				}
			} else {
				cur.WriteString(strings.Repeat(`\`, n))
				i--
			}
			inArg = true
		case c == '"':
			quoted = !quoted
			inArg = true
		case (c == ' ' || c == '\t') && !quoted:
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

func windowsSpec() Spec {
	return Spec{
		Target:      Target{OS: Windows, Scope: System, Name: DefaultName, UID: -1},
		Binary:      `C:\Program Files\e5renew\e5renew.exe`,
		Config:      `C:\ProgramData\e5 renew\e5renew.yaml`,
		DataDir:     `C:\ProgramData\e5 renew\e5renew-data`,
		StopTimeout: MinStopTimeout,
	}
}

func TestServiceWindowsQuoting(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`plain`, `plain`},
		{`a b`, `"a b"`},
		{`C:\dir\`, `C:\dir\`},
		{`C:\my dir\`, `"C:\my dir\\"`},
		{`say "hi"`, `"say \"hi\""`},
		{`a\"b`, `"a\\\"b"`},
		{``, `""`},
	} {
		if got := WindowsArg(c.in, false); got != c.want {
			t.Errorf("WindowsArg(%s) = %s, want %s", c.in, got, c.want)
		}
		if back := splitWindowsArgs(WindowsArg(c.in, false)); len(back) != 1 || back[0] != c.in {
			t.Errorf("%s does not read back: %q", c.in, back)
		}
	}
	s := windowsSpec()
	if got := s.WindowsBinPath(); got != `"C:\Program Files\e5renew\e5renew.exe" serve -c "C:\ProgramData\e5 renew\e5renew.yaml"` {
		t.Errorf("binPath %s", got)
	}
	create := s.InstallCmds(Existing{})[0]
	line := create.String(Windows)
	want := `sc.exe create e5renew binPath= "\"C:\Program Files\e5renew\e5renew.exe\" serve -c \"C:\ProgramData\e5 renew\e5renew.yaml\"" start= delayed-auto DisplayName= e5renew`
	if line != want {
		t.Errorf("sc.exe create\n got %s\nwant %s", line, want)
	}
	// sc.exe reads the line back into the arguments, and the service control manager the
	// binPath into the program and its arguments.
	args := splitWindowsArgs(line)
	if !reflect.DeepEqual(args, create.Argv) {
		t.Fatalf("read back %q, want %q", args, create.Argv)
	}
	if got := splitWindowsArgs(args[4]); !reflect.DeepEqual(got, []string{s.Binary, "serve", "-c", s.Config}) {
		t.Errorf("binPath reads back as %q", got)
	}
	// Characters cmd.exe would act on inside that quoting are refused.
	s.Config = `C:\Tom & Jerry\e5renew.yaml`
	if err := s.Validate(); err == nil {
		t.Error("a path with & was accepted")
	}
}

func TestServiceWindowsScriptAndCommands(t *testing.T) {
	s := windowsSpec()
	script, err := s.WindowsScript()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"sc.exe create e5renew binPath= ", "sc.exe failure e5renew reset= 86400 actions= restart/10000/restart/10000/restart/60000",
		"sc.exe failureflag e5renew 1", "net.exe start e5renew", `C:\ProgramData\e5 renew\e5renew.log`, "sc.exe delete e5renew"} {
		if !strings.Contains(script, w) {
			t.Errorf("script lacks %q:\n%s", w, script)
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(script, "\r\n"), "\r\n") {
		if !strings.HasPrefix(l, "@rem ") && !strings.HasPrefix(l, "sc.exe ") && !strings.HasPrefix(l, "net.exe ") {
			t.Errorf("unexpected script line %q", l)
		}
	}
	names := func(cmds []Cmd) []string {
		var out []string
		for _, c := range cmds {
			out = append(out, strings.Join(c.Argv[:2], " "))
		}
		return out
	}
	if got := names(s.InstallCmds(Existing{Installed: true, Same: true})); !reflect.DeepEqual(got, []string{"net.exe start"}) {
		t.Errorf("reinstall: %v", got)
	}
	if got := names(s.InstallCmds(Existing{Installed: true})); !reflect.DeepEqual(got, []string{"net.exe stop", "sc.exe config", "sc.exe description", "sc.exe failure", "sc.exe failureflag", "net.exe start"}) {
		t.Errorf("replace: %v", got)
	}
	out := "[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: e5renew\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        BINARY_PATH_NAME   : " + s.WindowsBinPath() + "\r\n        DISPLAY_NAME       : e5renew\r\n"
	if got, ok := ParseSCBinPath(out); !ok || got != s.WindowsBinPath() {
		t.Errorf("ParseSCBinPath = %q %v", got, ok)
	}
	if _, ok := ParseSCBinPath("[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n"); ok {
		t.Error("ParseSCBinPath found a path in an error")
	}
}

func TestServiceCommands(t *testing.T) {
	str := func(cmds []Cmd, goos string) []string {
		var out []string
		for _, c := range cmds {
			s := c.String(goos)
			if c.MayFail {
				s += " (may fail)"
			}
			out = append(out, s)
		}
		return out
	}
	sys, usr := linuxSpec(System), linuxSpec(User)
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"linux fresh", str(sys.InstallCmds(Existing{}), Linux), []string{"systemctl daemon-reload", "systemctl enable --now e5renew"}},
		{"linux same", str(sys.InstallCmds(Existing{Installed: true, Same: true}), Linux), []string{"systemctl enable --now e5renew"}},
		{"linux replaced", str(sys.InstallCmds(Existing{Installed: true}), Linux), []string{"systemctl daemon-reload", "systemctl enable e5renew", "systemctl restart e5renew"}},
		{"linux user", str(usr.InstallCmds(Existing{}), Linux), []string{"systemctl --user daemon-reload", "systemctl --user enable --now e5renew"}},
		{"linux start", str(usr.StartCmds(), Linux), []string{"systemctl --user start e5renew"}},
		{"linux stop", str(sys.StopCmds(), Linux), []string{"systemctl stop e5renew"}},
		{"linux status", str([]Cmd{sys.StatusCmd()}, Linux), []string{"systemctl status --no-pager e5renew"}},
	}
	before, after := usr.UninstallCmds()
	cases = append(cases, struct {
		name string
		got  []string
		want []string
	}{"linux uninstall", str(append(before, after...), Linux), []string{"systemctl --user disable --now e5renew (may fail)", "systemctl --user daemon-reload"}})
	mac := Spec{Target: Target{OS: Darwin, Scope: User, Name: DefaultName, Home: "/Users/alice", UID: 501}, Binary: "/usr/local/bin/e5renew",
		Config: "/Users/alice/e5/e5renew.yaml", DataDir: "/Users/alice/e5/e5renew-data", StopTimeout: MinStopTimeout}
	plist := "/Users/alice/Library/LaunchAgents/io.github.e5renew.plist"
	mb, _ := mac.UninstallCmds()
	for _, c := range []struct {
		name string
		got  []string
		want []string
	}{
		{"darwin fresh", str(mac.InstallCmds(Existing{}), Darwin), []string{"launchctl enable gui/501/io.github.e5renew", "launchctl bootstrap gui/501 " + plist}},
		{"darwin same", str(mac.InstallCmds(Existing{Installed: true, Same: true}), Darwin), []string{"launchctl enable gui/501/io.github.e5renew", "launchctl bootstrap gui/501 " + plist + " (may fail)", "launchctl kickstart gui/501/io.github.e5renew"}},
		{"darwin replaced", str(mac.InstallCmds(Existing{Installed: true}), Darwin), []string{"launchctl bootout gui/501/io.github.e5renew (may fail)", "launchctl enable gui/501/io.github.e5renew", "launchctl bootstrap gui/501 " + plist}},
		{"darwin stop", str(mac.StopCmds(), Darwin), []string{"launchctl bootout gui/501/io.github.e5renew"}},
		{"darwin uninstall", str(mb, Darwin), []string{"launchctl bootout gui/501/io.github.e5renew (may fail)"}},
		{"darwin status", str([]Cmd{mac.StatusCmd()}, Darwin), []string{"launchctl print gui/501/io.github.e5renew"}},
	} {
		cases = append(cases, c)
	}
	mac.UID = -1 // printed for another system
	cases = append(cases, struct {
		name string
		got  []string
		want []string
	}{"darwin unknown uid", str(mac.StopCmds(), Darwin), []string{`launchctl bootout "gui/$(id -u)/io.github.e5renew"`}})
	for _, c := range cases {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, c.got, c.want)
		}
	}
}

func TestServiceValidate(t *testing.T) {
	ok := linuxSpec(System)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(s *Spec){
		"relative config":  func(s *Spec) { s.Config = "e5renew.yaml" },
		"relative binary":  func(s *Spec) { s.Binary = "./e5renew" },
		"windows path":     func(s *Spec) { s.Config = `C:\e5\e5renew.yaml` },
		"newline":          func(s *Spec) { s.Config = "/etc/e5\n/e5renew.yaml" },
		"name":             func(s *Spec) { s.Name = "e5 renew" },
		"name with slash":  func(s *Spec) { s.Name = "../e5renew" },
		"run-as user unit": func(s *Spec) { s.Scope, s.RunAs = User, "alice" },
		"run-as odd":       func(s *Spec) { s.RunAs = "alice;rm" },
		"windows user":     func(s *Spec) { *s = windowsSpec(); s.Scope = User },
		"windows run-as":   func(s *Spec) { *s = windowsSpec(); s.RunAs = "alice" },
		"windows relative": func(s *Spec) { *s = windowsSpec(); s.Config = `e5renew.yaml` },
		"unknown os":       func(s *Spec) { s.OS = "plan9" },
		"user no home":     func(s *Spec) { s.Scope, s.Home = User, "" },
	}
	for name, mutate := range bad {
		s := linuxSpec(System)
		mutate(&s)
		err := s.Validate()
		var e *Error
		if err == nil || !errors.As(err, &e) {
			t.Errorf("%s: accepted (%v)", name, err)
			continue
		}
		if e.In(i18n.ZH) == e.In(i18n.EN) {
			t.Errorf("%s: no Chinese message: %s", name, e.In(i18n.ZH))
		}
	}
	for _, p := range []string{`C:\x`, `c:/x`, `\\server\share\x`} {
		if !IsAbs(Windows, p) {
			t.Errorf("IsAbs(windows, %s) = false", p)
		}
	}
	if Dir(Windows, `C:\ProgramData\e5renew\e5renew.yaml`) != `C:\ProgramData\e5renew` || Dir(Windows, `C:\e5renew.yaml`) != `C:\` {
		t.Error("Dir(windows)")
	}
	if Join(Windows, `C:\`, "e5renew.log") != `C:\e5renew.log` || Join(Windows, `C:\a`, "b") != `C:\a\b` {
		t.Error("Join(windows)")
	}
}

func TestServiceShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/local/bin/e5renew": "/usr/local/bin/e5renew",
		"/a b":                   "'/a b'",
		"it's":                   `'it'\''s'`,
		"":                       "''",
		"gui/$(id -u)/x":         `"gui/$(id -u)/x"`,
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestServiceParseEnvFile(t *testing.T) {
	got := ParseEnvFile("# secrets\n; also a comment\n\nALICE_SECRET=s3cr=t\n  SPACED = yes  \nQ=\"a \\\"b\\\"\"\nS='lit\\eral'\nnot a line\n")
	want := map[string]string{"ALICE_SECRET": "s3cr=t", "SPACED": "yes", "Q": `a "b"`, "S": `lit\eral`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseEnvFile = %q, want %q", got, want)
	}
}

func TestServiceControlLoop(t *testing.T) {
	t.Run("stop request cancels and waits", func(t *testing.T) {
		requests := make(chan Control)
		var mu = make(chan struct{}, 1)
		mu <- struct{}{}
		var states []State
		report := func(s Status) { <-mu; states = append(states, s.State); mu <- struct{}{} }
		stopped := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- ControlLoop(func(ctx context.Context) error {
				<-ctx.Done()
				close(stopped)
				return nil
			}, requests, report)
		}()
		requests <- Interrogate
		requests <- Stop
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the loop did not return after a stop request")
		}
		select {
		case <-stopped:
		default:
			t.Fatal("the loop returned before run did")
		}
		<-mu
		if want := []State{StartPending, Running, Running, StopPending}; !reflect.DeepEqual(states, want) {
			t.Errorf("states %v, want %v", states, want)
		}
	})
	t.Run("run ends on its own", func(t *testing.T) {
		boom := errors.New("config broken")
		err := ControlLoop(func(context.Context) error { return boom }, make(chan Control), func(Status) {})
		if !errors.Is(err, boom) {
			t.Errorf("err %v", err)
		}
	})
}

// TestServiceTextsBilingual: every message exists in both languages, with the same format
// verbs.
func TestServiceTextsBilingual(t *testing.T) {
	checkTexts(t, reflect.ValueOf(Texts))
}

var verbs = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

func checkTexts(t *testing.T, v reflect.Value) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		tx := v.Field(i).Interface().(i18n.Text)
		name := v.Type().Field(i).Name
		if tx.EN == "" || tx.ZH == "" {
			t.Errorf("%s: missing a language: %+v", name, tx)
			continue
		}
		if a, b := verbs.FindAllString(tx.EN, -1), verbs.FindAllString(tx.ZH, -1); !slices.Equal(a, b) {
			t.Errorf("%s: verbs %v in English, %v in Chinese", name, a, b)
		}
		if !bytes.ContainsFunc([]byte(tx.ZH), func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("%s: the Chinese text has no Chinese: %s", name, tx.ZH)
		}
	}
}
