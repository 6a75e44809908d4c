package sysservice

import (
	"strings"
)

// windowsDescription is the service's description in services.msc.
const windowsDescription = "Keeps Microsoft 365 E5 developer subscriptions active (e5renew serve)."

// WindowsBinPath is the service's command line as the service control manager stores and
// runs it: both paths always quoted, so that a path with spaces is never read as a shorter
// path followed by arguments (the "unquoted service path" problem).
func (s Spec) WindowsBinPath() string {
	return WindowsArg(s.Binary, true) + " serve -c " + WindowsArg(s.Config, true)
}

// scArgs are the settings sc.exe create and sc.exe config take, in its odd syntax: each
// option is a word ending in "=" followed by its value as the next word. The service starts
// automatically, shortly after boot (delayed-auto: after the services the network needs).
func (s Spec) scArgs() []string {
	return []string{"binPath=", s.WindowsBinPath(), "start=", "delayed-auto", "DisplayName=", s.Name}
}

// ParseSCBinPath reads the command line from the output of `sc.exe qc <name>`.
func ParseSCBinPath(out string) (string, bool) {
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "BINARY_PATH_NAME" {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// WindowsScript renders the commands that install the Windows service as a cmd.exe script:
// what `e5renew service install` runs, for those who prefer to run it themselves (pasted
// into an elevated Command Prompt, or saved as a .cmd file and run as administrator).
func (s Spec) WindowsScript() (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	rem := func(s string) { b.WriteString("@rem " + s + "\r\n") }
	rem("e5renew as a Windows service: keeps Microsoft 365 E5 developer subscriptions active.")
	rem("Run in an elevated Command Prompt (Run as administrator), or save as a .cmd file and run it as administrator.")
	rem("`e5renew service install` runs exactly these commands.")
	for _, c := range s.InstallCmds(Existing{}) {
		b.WriteString(c.String(Windows) + "\r\n")
	}
	before, _ := s.UninstallCmds()
	un := make([]string, len(before))
	for i, c := range before {
		un[i] = c.String(Windows)
	}
	rem("Stop: " + s.StopCmds()[0].String(Windows) + "   start: " + s.StartCmds()[0].String(Windows) + "   status: " + s.StatusCmd().String(Windows))
	rem("Remove: " + strings.Join(un, ", then "))
	rem("Logs, and the dashboard password printed once on the first start: " + s.LogPath())
	return b.String(), nil
}
