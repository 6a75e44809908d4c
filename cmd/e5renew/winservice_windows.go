//go:build windows

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/windows/svc"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/sysservice"
)

// When the Windows service control manager starts e5renew (`e5renew service install`
// registers `e5renew.exe serve -c <config>`), the process must answer the service control
// protocol: report that it runs, and stop when asked. Otherwise the manager kills it after
// 30 seconds. The program then runs under svc.Run instead of main's signal handling: a stop
// (or shutdown) request cancels the command's context, which is how `serve` stops
// gracefully. This happens in init so that main stays the same on every system; the check
// is made only for `serve`, so other commands do not pay for it.
func init() {
	if !slices.Contains(os.Args[1:], "serve") {
		return
	}
	if ok, err := svc.IsWindowsService(); err != nil || !ok {
		return
	}
	os.Exit(runWindowsService(os.Args[1:]))
}

// windowsService runs the root command as the service's body.
type windowsService struct {
	args []string
	code int
}

func (s *windowsService) Execute(_ []string, r <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	requests := make(chan sysservice.Control)
	go func() {
		defer close(requests)
		for c := range r {
			switch c.Cmd {
			case svc.Interrogate:
				requests <- sysservice.Interrogate
			case svc.Stop, svc.Shutdown:
				requests <- sysservice.Stop
			}
		}
	}()
	err := sysservice.ControlLoop(s.run, requests, func(st sysservice.Status) {
		out := svc.Status{CheckPoint: st.CheckPoint, WaitHint: uint32(st.WaitHint.Milliseconds())}
		switch st.State {
		case sysservice.StartPending:
			out.State = svc.StartPending
		case sysservice.Running:
			out.State, out.Accepts = svc.Running, svc.AcceptStop|svc.AcceptShutdown
		case sysservice.StopPending:
			out.State = svc.StopPending
		}
		status <- out
	})
	if err != nil && s.code == 0 {
		s.code = 1
	}
	if s.code != 0 {
		// A service-specific exit code: the failure actions (restart) apply.
		return true, uint32(s.code)
	}
	return false, 0
}

// run is main for the service: output to e5renew.log beside the configuration (a
// service has no console; the dashboard password of the first start goes there), the
// configuration's directory as the working directory (as the systemd unit and the launchd
// job have it).
func (s *windowsService) run(ctx context.Context) error {
	var out io.Writer = io.Discard
	if cfg := configArg(s.args); cfg != "" {
		if abs, err := filepath.Abs(cfg); err == nil {
			_ = os.Chdir(filepath.Dir(abs))
			logPath := sysservice.WindowsLogPath(abs)
			rotate(logPath)
			if f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
				defer f.Close()
				out = f
			}
		}
	}
	d := &deps{stdin: strings.NewReader(""), stdout: out, stderr: out, getenv: os.LookupEnv, lang: i18n.FromEnv(),
		logger: slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	cmd := newRootCommand(d)
	cmd.SetArgs(s.args)
	err := cmd.ExecuteContext(ctx)
	if err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			s.code = int(ec)
		} else {
			fmt.Fprintln(out, "e5renew:", err)
			s.code = 1
		}
	}
	return err
}

// rotate keeps the log from growing without end: past 10 MB it becomes e5renew.log.1 at
// the next start.
func rotate(path string) {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 10<<20 {
		_ = os.Rename(path, path+".1")
	}
}

// configArg finds the -c/--config value in the command line.
func configArg(args []string) string {
	for i, a := range args {
		switch {
		case (a == "-c" || a == "--config") && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "--config="):
			return strings.TrimPrefix(a, "--config=")
		case strings.HasPrefix(a, "-c="):
			return strings.TrimPrefix(a, "-c=")
		}
	}
	if v := os.Getenv("E5RENEW_CONFIG"); v != "" {
		return v
	}
	return ""
}

func runWindowsService(args []string) int {
	s := &windowsService{args: args}
	// The name is ignored for a service in its own process.
	if err := svc.Run(sysservice.DefaultName, s); err != nil {
		return 1
	}
	return s.code
}
