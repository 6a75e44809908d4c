package sysservice

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"time"
)

// Runner runs one command and returns its combined output; a command that exits with a
// non-zero status returns an error with an ExitCode() int method (as *exec.ExitError has).
type Runner interface {
	Run(ctx context.Context, argv []string) (output string, err error)
}

// ExecRunner runs commands on this machine.
type ExecRunner struct{}

// Run runs argv.
func (ExecRunner) Run(ctx context.Context, argv []string) (string, error) {
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	return string(out), err
}

// ParseEnvFile reads the NAME=value lines of a systemd EnvironmentFile= the way systemd
// does for the common cases: blank lines and lines starting with # or ; are comments, space
// around the name is dropped, a value wrapped in single or double quotes loses them.
func ParseEnvFile(text string) map[string]string {
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			q := v[0]
			v = v[1 : len(v)-1]
			if q == '"' {
				v = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(v)
			}
		}
		env[k] = v
	}
	return env
}

// Control is a request of the Windows service control manager, as the control loop sees it.
type Control int

// The requests the control loop tells apart.
const (
	Interrogate Control = iota
	Stop                // stop or system shutdown
	Other
)

// State is a service state the control loop reports.
type State int

// The states the control loop reports.
const (
	StartPending State = iota
	Running
	StopPending
)

// Status is one report of the control loop: the state, and while stopping a checkpoint
// that grows as long as the service is still working on it.
type Status struct {
	State      State
	CheckPoint uint32
	// WaitHint is how long until the next report, at most.
	WaitHint time.Duration
}

// stopTick is how often the control loop tells the service control manager that a stop is
// still in progress.
const stopTick = 5 * time.Second

// ControlLoop runs run as the body of a Windows service: it reports Running once run has
// started, answers interrogations with the last status, and on a stop request cancels run's
// context, reports StopPending with a growing checkpoint (so the service control manager
// does not give up while rounds clean up) and returns run's error once it returns. If run
// returns on its own, so does ControlLoop. The Windows-only adapter maps svc's types to
// these, so that this logic is tested everywhere.
func ControlLoop(run func(ctx context.Context) error, requests <-chan Control, report func(Status)) error {
	report(Status{State: StartPending, WaitHint: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	last := Status{State: Running}
	report(last)
	var tick <-chan time.Time
	for {
		select {
		case err := <-done:
			return err
		case <-tick:
			last.CheckPoint++
			report(last)
		case c, ok := <-requests:
			if !ok {
				requests = nil
				continue
			}
			switch c {
			case Interrogate:
				report(last)
			case Stop:
				if tick == nil {
					cancel()
					t := time.NewTicker(stopTick)
					defer t.Stop()
					tick = t.C
					last = Status{State: StopPending, CheckPoint: 1, WaitHint: 2 * stopTick}
					report(last)
				}
			}
		}
	}
}
