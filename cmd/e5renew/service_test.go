package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/sysservice"
)

// fakeRunner records the commands instead of running them; answers maps a command line
// (its words joined by spaces) to what it prints and whether it fails.
type fakeRunner struct {
	ran     []string
	answers map[string]fakeAnswer
}

type fakeAnswer struct {
	out  string
	code int
}

type fakeExit int

func (e fakeExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
func (e fakeExit) ExitCode() int { return int(e) }

func (r *fakeRunner) Run(_ context.Context, argv []string) (string, error) {
	line := strings.Join(argv, " ")
	r.ran = append(r.ran, line)
	a := r.answers[line]
	if a.code != 0 {
		return a.out, fakeExit(a.code)
	}
	return a.out, nil
}

// serviceFixture is a pretend machine: a root directory standing for /, a configuration and
// a built binary in places that are not temporary as far as the host knows.
type serviceFixture struct {
	h       *serviceHost
	run     *fakeRunner
	root    string
	dir     string // the configuration's directory
	cfgPath string
	bin     string
	env     map[string]string
}

func newServiceFixture(t *testing.T, goos string, euid int) *serviceFixture {
	t.Helper()
	base := t.TempDir()
	f := &serviceFixture{run: &fakeRunner{answers: map[string]fakeAnswer{}}, root: filepath.Join(base, "root"),
		dir: filepath.Join(base, "my e5renew"), env: map[string]string{}}
	f.cfgPath = filepath.Join(f.dir, "e5renew.yaml")
	f.bin = filepath.Join(base, "bin", "e5renew")
	for _, d := range []string{f.root, f.dir, filepath.Dir(f.bin)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(f.bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.writeConfig(t, "accounts: []\ndaemon:\n  listen: 127.0.0.1:9123\n")
	f.h = &serviceHost{goos: goos, runner: f.run, executable: func() (string, error) { return f.bin, nil },
		euid: euid, uid: 501, home: func() (string, error) { return "/home/alice", nil },
		username: func() (string, error) { return "alice", nil }, root: f.root,
		tempDirs: []string{"/nonexistent-temp"},
		account:  func(string, string) (int, int, error) { return os.Getuid(), os.Getgid(), nil }}
	return f
}

func (f *serviceFixture) writeConfig(t *testing.T, text string) {
	t.Helper()
	if err := os.WriteFile(f.cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// service runs `e5renew service args...` on the pretend machine.
func (f *serviceFixture) service(t *testing.T, lang i18n.Lang, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	d := &deps{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, lang: lang,
		getenv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok }, logger: slog.New(slog.DiscardHandler)}
	cmd := newServiceCommandWith(d, f.h)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	f.run.ran = nil
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func (f *serviceFixture) unitFile(p string) string {
	return filepath.Join(f.root, filepath.FromSlash(p))
}

func TestServiceInstallSystemLinux(t *testing.T) {
	f := newServiceFixture(t, sysservice.Linux, 0)
	unit := f.unitFile("/etc/systemd/system/e5renew.service")
	f.env["SUDO_USER"] = "alice"
	out, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(unit); fi.Mode().Perm() != 0o644 {
		t.Errorf("unit mode %v", fi.Mode().Perm())
	}
	for _, w := range []string{
		fmt.Sprintf("ExecStart=%s serve -c %q", f.bin, f.cfgPath),
		fmt.Sprintf("WorkingDirectory=%s", f.dir),
		fmt.Sprintf("ReadWritePaths=%q", f.dir),
		"ProtectSystem=strict", "WantedBy=multi-user.target",
	} {
		if !strings.Contains(string(b), w+"\n") {
			t.Errorf("unit lacks %s:\n%s", w, b)
		}
	}
	if want := []string{"systemctl daemon-reload", "systemctl enable --now e5renew"}; !reflect.DeepEqual(f.run.ran, want) {
		t.Errorf("ran %q, want %q", f.run.ran, want)
	}
	for _, w := range []string{"Wrote /etc/systemd/system/e5renew.service", "$ systemctl enable --now e5renew", "system service",
		"http://127.0.0.1:9123/", "journalctl -u e5renew", "--run-as alice", f.bin + " admin set-password -c '" + f.cfgPath + "'"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if _, err := os.Stat(filepath.Join(f.dir, "e5renew-data")); err != nil {
		t.Errorf("the data directory was not created: %v", err)
	}

	// print shows exactly what install wrote.
	printed, _, err := f.service(t, i18n.EN, "print", "-c", f.cfgPath)
	if err != nil || printed != string(b) {
		t.Errorf("print differs from the installed unit (%v):\n%s", err, printed)
	}
	if len(f.run.ran) != 0 {
		t.Errorf("print ran %q", f.run.ran)
	}

	// Again: nothing changes, the service is only made sure to be enabled and running.
	out, _, err = f.service(t, i18n.EN, "install", "-c", f.cfgPath)
	if err != nil || !strings.Contains(out, "is up to date") {
		t.Fatalf("second install: %v\n%s", err, out)
	}
	if want := []string{"systemctl enable --now e5renew"}; !reflect.DeepEqual(f.run.ran, want) {
		t.Errorf("second install ran %q", f.run.ran)
	}

	// A different unit is not overwritten without --force...
	other := filepath.Join(filepath.Dir(f.bin), "e5renew-2")
	if err := os.WriteFile(other, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.service(t, i18n.EN, "install", "-c", f.cfgPath, "--binary", other)
	if err == nil || !strings.Contains(err.Error(), "--force") || len(f.run.ran) != 0 {
		t.Fatalf("overwrite without --force: %v, ran %q", err, f.run.ran)
	}
	if now, _ := os.ReadFile(unit); string(now) != string(b) {
		t.Error("the unit changed without --force")
	}
	// ...and with it, it is replaced and the running service restarted.
	if out, _, err = f.service(t, i18n.EN, "install", "-c", f.cfgPath, "--binary", other, "--force"); err != nil {
		t.Fatalf("--force: %v\n%s", err, out)
	}
	if now, _ := os.ReadFile(unit); !strings.Contains(string(now), "ExecStart="+other+" ") {
		t.Errorf("not replaced:\n%s", now)
	}
	if want := []string{"systemctl daemon-reload", "systemctl enable e5renew", "systemctl restart e5renew"}; !reflect.DeepEqual(f.run.ran, want) {
		t.Errorf("--force ran %q", f.run.ran)
	}

	// uninstall: disabled and stopped, removed, systemd told; then nothing left to do.
	out, _, err = f.service(t, i18n.EN, "uninstall")
	if err != nil {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
	if want := []string{"systemctl disable --now e5renew", "systemctl daemon-reload"}; !reflect.DeepEqual(f.run.ran, want) {
		t.Errorf("uninstall ran %q", f.run.ran)
	}
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Errorf("the unit is still there: %v", err)
	}
	if _, err := os.Stat(f.cfgPath); err != nil {
		t.Errorf("uninstall touched the configuration: %v", err)
	}
	out, _, err = f.service(t, i18n.EN, "uninstall")
	if err != nil || !strings.Contains(out, "not installed") || len(f.run.ran) != 0 {
		t.Errorf("second uninstall: %v, ran %q\n%s", err, f.run.ran, out)
	}
}

func TestServiceInstallUserLinux(t *testing.T) {
	f := newServiceFixture(t, sysservice.Linux, 1000)
	out, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	b, err := os.ReadFile(f.unitFile("/home/alice/.config/systemd/user/e5renew.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "WantedBy=default.target") || strings.Contains(string(b), "User=") {
		t.Errorf("user unit:\n%s", b)
	}
	if want := []string{"systemctl --user daemon-reload", "systemctl --user enable --now e5renew"}; !reflect.DeepEqual(f.run.ran, want) {
		t.Errorf("ran %q", f.run.ran)
	}
	for _, w := range []string{"service of your user", "journalctl --user-unit e5renew", "loginctl enable-linger alice"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	// Lingering already on: no advice about it.
	if err := os.MkdirAll(f.unitFile("/var/lib/systemd/linger"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.unitFile("/var/lib/systemd/linger/alice"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, _ = f.service(t, i18n.EN, "install", "-c", f.cfgPath)
	if strings.Contains(out, "enable-linger") {
		t.Errorf("linger advice although lingering:\n%s", out)
	}
	// --system as a user: a system unit, whose directory the user may not write; here the
	// pretend root is writable, so check only the scope flags.
	if _, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath, "--user", "--system"); err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Errorf("--user --system: %v", err)
	}
}

func TestServiceInstallRefuses(t *testing.T) {
	noChange := func(t *testing.T, f *serviceFixture) {
		t.Helper()
		if len(f.run.ran) != 0 {
			t.Errorf("ran %q", f.run.ran)
		}
		if _, err := os.Stat(f.unitFile("/etc/systemd/system/e5renew.service")); !os.IsNotExist(err) {
			t.Errorf("a unit was written: %v", err)
		}
	}
	t.Run("temporary binary", func(t *testing.T) {
		f := newServiceFixture(t, sysservice.Linux, 0)
		f.h.tempDirs = []string{filepath.Dir(f.bin)}
		_, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath)
		if err == nil || !strings.Contains(err.Error(), "build it with go build or download a release") {
			t.Errorf("err %v", err)
		}
		noChange(t, f)
	})
	t.Run("go run build", func(t *testing.T) {
		f := newServiceFixture(t, sysservice.Linux, 0)
		f.h.executable = func() (string, error) { return "/home/alice/.cache/go-build1234/b001/exe/e5renew", nil }
		if _, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath); err == nil || !strings.Contains(err.Error(), "go build") {
			t.Errorf("err %v", err)
		}
		noChange(t, f)
	})
	t.Run("temporary configuration", func(t *testing.T) {
		f := newServiceFixture(t, sysservice.Linux, 0)
		f.h.tempDirs = []string{f.dir}
		if _, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath); err == nil || !strings.Contains(err.Error(), "temporary directory") {
			t.Errorf("err %v", err)
		}
		noChange(t, f)
	})
	t.Run("missing binary", func(t *testing.T) {
		f := newServiceFixture(t, sysservice.Linux, 0)
		if _, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath, "--binary", filepath.Join(f.dir, "nope")); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("err %v", err)
		}
		noChange(t, f)
	})
	t.Run("broken configuration", func(t *testing.T) {
		f := newServiceFixture(t, sysservice.Linux, 0)
		f.writeConfig(t, "accounts: []\ndeamon:\n  listen: 127.0.0.1:9\n")
		_, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath)
		if err == nil || !strings.Contains(err.Error(), "fail at every start") || !strings.Contains(err.Error(), `e5renew.yaml:2`) || !strings.Contains(err.Error(), "deamon") {
			t.Errorf("err %v", err)
		}
		noChange(t, f)
	})
	t.Run("missing configuration", func(t *testing.T) {
		f := newServiceFixture(t, sysservice.Linux, 0)
		_, _, err := f.service(t, i18n.EN, "install", "-c", filepath.Join(f.dir, "other.yaml"))
		if err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("err %v", err)
		}
		noChange(t, f)
	})
	t.Run("run-as account unknown", func(t *testing.T) {
		f := newServiceFixture(t, sysservice.Linux, 0)
		f.h.account = func(string, string) (int, int, error) { return 0, 0, errors.New("unknown user e5renew") }
		if _, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath, "--run-as", "e5renew"); err == nil || !strings.Contains(err.Error(), "useradd") {
			t.Errorf("err %v", err)
		}
		noChange(t, f)
	})
}

// TestServiceInstallEnvironment: a configuration that needs a variable of the shell is
// refused, since the service will not have it; the environment file beside it provides it.
func TestServiceInstallEnvironment(t *testing.T) {
	f := newServiceFixture(t, sysservice.Linux, 0)
	f.writeConfig(t, "accounts:\n  - name: alice\n    type: refresh_token\n    client_id: 11111111-2222-3333-4444-555555555555\n    refresh_token: ${ALICE_RT}\n")
	f.env["ALICE_RT"] = "in the shell only"
	_, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath)
	envFile := filepath.Join(f.dir, "e5renew.env")
	if err == nil || !strings.Contains(err.Error(), "ALICE_RT") || !strings.Contains(err.Error(), envFile) {
		t.Fatalf("err %v", err)
	}
	if err := os.WriteFile(envFile, []byte("ALICE_RT=rt-value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.env["E5RENEW_KEY"] = "a key in the shell"
	out, errOut, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath)
	if err != nil {
		t.Fatalf("with the environment file: %v\n%s", err, out)
	}
	if !strings.Contains(errOut, "chmod 600") || !strings.Contains(errOut, "E5RENEW_KEY is set in your shell") {
		t.Errorf("warnings:\n%s", errOut)
	}
	unit, _ := os.ReadFile(f.unitFile("/etc/systemd/system/e5renew.service"))
	if !strings.Contains(string(unit), "EnvironmentFile=-"+envFile+"\n") {
		t.Errorf("unit does not read the environment file:\n%s", unit)
	}
}

func TestServiceDryRun(t *testing.T) {
	f := newServiceFixture(t, sysservice.Linux, 0)
	out, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath, "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.run.ran) != 0 {
		t.Errorf("a dry run ran %q", f.run.ran)
	}
	if _, err := os.Stat(f.unitFile("/etc/systemd/system/e5renew.service")); !os.IsNotExist(err) {
		t.Error("a dry run wrote the unit")
	}
	if _, err := os.Stat(filepath.Join(f.dir, "e5renew-data")); !os.IsNotExist(err) {
		t.Error("a dry run created the data directory")
	}
	for _, w := range []string{"Would write /etc/systemd/system/e5renew.service", "[Service]", "Would run:", "  systemctl daemon-reload", "  systemctl enable --now e5renew", "nothing was written"} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run lacks %q:\n%s", w, out)
		}
	}
	out, _, _ = f.service(t, i18n.EN, "stop", "--dry-run")
	if len(f.run.ran) != 0 || !strings.Contains(out, "systemctl stop e5renew") {
		t.Errorf("stop --dry-run ran %q:\n%s", f.run.ran, out)
	}
}

func TestServiceStartStopStatus(t *testing.T) {
	f := newServiceFixture(t, sysservice.Linux, 1000)
	if out, _, err := f.service(t, i18n.EN, "start"); err != nil || !reflect.DeepEqual(f.run.ran, []string{"systemctl --user start e5renew"}) || !strings.Contains(out, "e5renew is started") {
		t.Errorf("start: %v %q\n%s", err, f.run.ran, out)
	}
	if _, _, err := f.service(t, i18n.EN, "stop", "--system"); err != nil || !reflect.DeepEqual(f.run.ran, []string{"systemctl stop e5renew"}) {
		t.Errorf("stop: %v %q", err, f.run.ran)
	}
	// status passes the service manager's exit status on (3: not running).
	f.run.answers["systemctl --user status --no-pager e5renew"] = fakeAnswer{out: "○ e5renew.service\n   Active: inactive (dead)\n", code: 3}
	out, _, err := f.service(t, i18n.EN, "status")
	var ec exitCode
	if !errors.As(err, &ec) || ec != 3 || !strings.Contains(out, "inactive (dead)") {
		t.Errorf("status: %v\n%s", err, out)
	}
	// A failing command says what failed, and what to do.
	f.run.answers["systemctl --user start e5renew"] = fakeAnswer{out: "Failed to connect to bus: No medium found", code: 1}
	_, _, err = f.service(t, i18n.EN, "start")
	if err == nil || !strings.Contains(err.Error(), "systemctl --user start e5renew") || !strings.Contains(err.Error(), "login session") {
		t.Errorf("failed start: %v", err)
	}
	f.run.answers["systemctl --user start e5renew"] = fakeAnswer{out: "System has not been booted with systemd as init system (PID 1). Can't operate.", code: 1}
	if _, _, err = f.service(t, i18n.EN, "start"); err == nil || !strings.Contains(err.Error(), "does not run systemd") {
		t.Errorf("no systemd: %v", err)
	}
	// A missing service manager says so.
	f.h.runner = sysservice.ExecRunner{}
	f.h.goos = sysservice.Darwin // launchctl is not on this (test) system
	if _, err := exec.LookPath("launchctl"); err == nil {
		t.Skip("launchctl exists here")
	}
	if _, _, err = f.service(t, i18n.EN, "stop"); err == nil || !strings.Contains(err.Error(), "launchctl is not on this system") {
		t.Errorf("missing launchctl: %v", err)
	}
}

func TestServiceUninstallRefusesForeignUnit(t *testing.T) {
	f := newServiceFixture(t, sysservice.Linux, 0)
	unit := f.unitFile("/etc/systemd/system/nginx.service")
	if err := os.MkdirAll(filepath.Dir(unit), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(unit, []byte("[Service]\nExecStart=/usr/sbin/nginx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.service(t, i18n.EN, "uninstall", "--name", "nginx"); err == nil || !strings.Contains(err.Error(), "not written by e5renew") || len(f.run.ran) != 0 {
		t.Errorf("uninstall of a foreign unit: %v, ran %q", err, f.run.ran)
	}
	if _, err := os.Stat(unit); err != nil {
		t.Error("the foreign unit was removed")
	}
	if _, _, err := f.service(t, i18n.EN, "uninstall", "--name", "nginx", "--force"); err != nil {
		t.Errorf("--force: %v", err)
	}
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Error("--force did not remove it")
	}
}

func TestServiceInstallDarwin(t *testing.T) {
	f := newServiceFixture(t, sysservice.Darwin, 501)
	out, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	plist := "/home/alice/Library/LaunchAgents/io.github.e5renew.plist"
	b, err := os.ReadFile(f.unitFile(plist))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "<string>"+f.cfgPath+"</string>") || !strings.Contains(string(b), "/home/alice/Library/Logs/e5renew.log") {
		t.Errorf("plist:\n%s", b)
	}
	if want := []string{"launchctl enable gui/501/io.github.e5renew", "launchctl bootstrap gui/501 " + plist}; !reflect.DeepEqual(f.run.ran, want) {
		t.Errorf("ran %q", f.run.ran)
	}
	if !strings.Contains(out, "launchd agent") || !strings.Contains(out, "tail -f /home/alice/Library/Logs/e5renew.log") {
		t.Errorf("output:\n%s", out)
	}
	// Loaded already (bootstrap fails): a second install still succeeds.
	f.run.answers["launchctl bootstrap gui/501 "+plist] = fakeAnswer{out: "Bootstrap failed: 5: Input/output error", code: 5}
	if out, _, err := f.service(t, i18n.EN, "install", "-c", f.cfgPath); err != nil || f.run.ran[len(f.run.ran)-1] != "launchctl kickstart gui/501/io.github.e5renew" {
		t.Errorf("second install: %v %q\n%s", err, f.run.ran, out)
	}
}

func TestServicePrintOtherSystems(t *testing.T) {
	// A host that is none of them: every --os prints another system's files.
	f := newServiceFixture(t, "freebsd", 1000)
	out, errOut, err := f.service(t, i18n.EN, "print", "--os", "windows", "--binary", `C:\Program Files\e5renew\e5renew.exe`, "-c", `C:\ProgramData\e5renew\e5renew.yaml`)
	if err != nil {
		t.Fatal(err)
	}
	want := `sc.exe create e5renew binPath= "\"C:\Program Files\e5renew\e5renew.exe\" serve -c \"C:\ProgramData\e5renew\e5renew.yaml\"" start= delayed-auto DisplayName= e5renew` + "\r\n"
	if !strings.Contains(out, want) || !strings.Contains(out, `C:\ProgramData\e5renew\e5renew.log`) {
		t.Errorf("windows:\n%s", out)
	}
	if !strings.Contains(errOut, "examples") {
		t.Errorf("no note about example paths: %s", errOut)
	}
	out, _, err = f.service(t, i18n.EN, "print", "--os", "darwin")
	if err != nil || !strings.Contains(out, "<key>ProgramArguments</key>") || !strings.Contains(out, "/Users/you/Library/LaunchAgents/io.github.e5renew.plist") {
		t.Errorf("darwin: %v\n%s", err, out)
	}
	// The configuration's home is the example's.
	out, _, err = f.service(t, i18n.EN, "print", "--os", "darwin", "-c", "/Users/alice/Library/Application Support/e5renew/e5renew.yaml")
	if err != nil || !strings.Contains(out, "<string>/Users/alice/Library/Logs/e5renew.log</string>") || strings.Contains(out, "/Users/you") {
		t.Errorf("darwin with a configuration: %v\n%s", err, out)
	}
	out, _, err = f.service(t, i18n.EN, "print", "--os", "linux", "--system")
	if err != nil || !strings.Contains(out, "ExecStart=/usr/local/bin/e5renew serve -c /etc/e5renew/e5renew.yaml\n") {
		t.Errorf("linux: %v\n%s", err, out)
	}
	if _, _, err := f.service(t, i18n.EN, "print", "--os", "windows", "-c", "e5renew.yaml"); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("relative path for windows: %v", err)
	}
	if _, _, err := f.service(t, i18n.EN, "print", "--os", "plan9"); err == nil {
		t.Error("--os plan9 accepted")
	}
	if len(f.run.ran) != 0 {
		t.Errorf("print ran %q", f.run.ran)
	}
}

func TestServiceChinese(t *testing.T) {
	f := newServiceFixture(t, sysservice.Linux, 0)
	out, _, err := f.service(t, i18n.ZH, "install", "-c", f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"已写入", "已安装为系统服务", "仪表盘：http://127.0.0.1:9123/", "首次启动"} {
		if !strings.Contains(out, w) {
			t.Errorf("Chinese output lacks %q:\n%s", w, out)
		}
	}
	f.writeConfig(t, "acounts: []\n")
	if _, _, err := f.service(t, i18n.ZH, "install", "-c", f.cfgPath, "--force"); err == nil || !strings.Contains(err.Error(), "服务每次启动都会失败") {
		t.Errorf("Chinese error: %v", err)
	}
	if _, _, err := f.service(t, i18n.ZH, "install", "-c", "relative.yaml", "--name", "bad name"); err == nil || !strings.Contains(err.Error(), "服务名") {
		t.Errorf("Chinese validation error: %v", err)
	}
}

var serviceVerbs = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// TestServiceTextsBilingual: every message of `e5renew service` exists in English and
// Chinese, with the same format verbs in the same order.
func TestServiceTextsBilingual(t *testing.T) {
	v := reflect.ValueOf(serviceTexts)
	for i := 0; i < v.NumField(); i++ {
		// The fields are unexported: read the texts without Interface.
		tx := i18n.Text{EN: v.Field(i).FieldByName("EN").String(), ZH: v.Field(i).FieldByName("ZH").String()}
		name := v.Type().Field(i).Name
		if tx.EN == "" || tx.ZH == "" || tx.EN == tx.ZH {
			t.Errorf("%s: not in both languages: %+v", name, tx)
			continue
		}
		if a, b := serviceVerbs.FindAllString(tx.EN, -1), serviceVerbs.FindAllString(tx.ZH, -1); !slices.Equal(a, b) {
			t.Errorf("%s: verbs %v in English, %v in Chinese", name, a, b)
		}
	}
}

func TestServiceDashboardURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8355": "http://127.0.0.1:8355/",
		":8355":          "http://localhost:8355/",
		"0.0.0.0:80":     "http://localhost:80/",
		"[::1]:8355":     "http://[::1]:8355/",
		"off":            "",
		"-":              "",
	} {
		if got := dashboardURL(in); got != want {
			t.Errorf("dashboardURL(%q) = %q, want %q", in, got, want)
		}
	}
}
