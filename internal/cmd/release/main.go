// Command release cross-compiles e5renew's release artifacts: static binaries
// (CGO_ENABLED=0, -trimpath, stripped, stamped with version, commit and date) for every
// platform, packed as .tar.gz (.zip for Windows) with the READMEs and LICENSE, and a
// SHA256SUMS file that `sha256sum -c` checks. The same commit gives the same bytes: the date
// is the commit's (or SOURCE_DATE_EPOCH), never the clock's.
//
//	go run ./internal/cmd/release                           # all targets into dist/
//	go run ./internal/cmd/release -version v1.2.3 -out dist -targets linux/amd64,linux/arm/7
//	go run ./internal/cmd/release -targets host -format binary
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

// Options are one release run.
type Options struct {
	Root     string // the module's directory
	Out      string // where the artifacts go
	Build    Build
	Targets  []Target
	Format   Format
	Parallel int
	Log      io.Writer // progress; nil: none
}

// Artifact is one target's result.
type Artifact struct {
	Target     Target
	Name       string // file name in Out
	BinarySize int64
	Size       int64 // of the file in Out (the archive, or the binary)
	Sum        Sum
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) (string, bool)) error {
	fl := flag.NewFlagSet("release", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var (
		version  = fl.String("version", "", "version to stamp and name files with (default: git describe --tags --always --dirty)")
		commit   = fl.String("commit", "", "commit to stamp (default: git rev-parse HEAD, -dirty when changed)")
		date     = fl.String("date", "", "build date, RFC 3339 (default: $SOURCE_DATE_EPOCH, else the commit's time)")
		out      = fl.String("out", "dist", "output directory")
		targets  = fl.String("targets", DefaultTargets, `comma-separated os/arch list, "all" or "host"`)
		format   = fl.String("format", string(FormatArchive), "archive (.tar.gz, .zip for Windows, with README and LICENSE) or binary")
		parallel = fl.Int("parallel", runtime.GOMAXPROCS(0), "builds at once")
	)
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./internal/cmd/release [flags]\n\nCross-compiles e5renew for every target, with SHA256SUMS.\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags only; see -h)", fl.Args())
	}
	ts, err := ParseTargets(*targets, runtime.GOOS, runtime.GOARCH)
	if err != nil {
		return err
	}
	f := Format(*format)
	if f != FormatArchive && f != FormatBinary {
		return fmt.Errorf("-format %q: archive or binary", *format)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	b, err := resolveBuild(ctx, root, *version, *commit, *date, getenv, stderr)
	if err != nil {
		return err
	}
	o := Options{Root: root, Out: *out, Build: b, Targets: ts, Format: f, Parallel: *parallel, Log: stderr}
	fmt.Fprintf(stderr, "e5renew %s (commit %s, %s): %s, %d at once, into %s\n", b.Version, b.Commit, b.Date(), plural(len(ts), "target"), o.Parallel, o.Out)
	start := time.Now()
	arts, err := Release(ctx, o)
	if err != nil {
		return err
	}
	writeTable(stdout, arts)
	fmt.Fprintf(stdout, "\n%s and SHA256SUMS in %s, %s\n", plural(len(arts), "artifact"), o.Out, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// moduleRoot is the nearest directory up from the working one with go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or above: run this from the e5renew checkout", dir)
		}
	}
}

// resolveBuild fills what the flags left empty from git and SOURCE_DATE_EPOCH.
func resolveBuild(ctx context.Context, root, version, commit, date string, getenv func(string) (string, bool), warn io.Writer) (Build, error) {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", root}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("git %s: %v %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
		}
		return strings.TrimSpace(out.String()), nil
	}
	var b Build
	b.Version = version
	if b.Version == "" {
		v, err := git("describe", "--tags", "--always", "--dirty")
		if err != nil {
			fmt.Fprintf(warn, "warning: no version from git (%v): using dev; give -version\n", err)
			v = "dev"
		}
		b.Version = v
	}
	b.Commit = commit
	if b.Commit == "" {
		c, err := git("rev-parse", "HEAD")
		if err != nil {
			fmt.Fprintf(warn, "warning: no commit from git (%v); give -commit\n", err)
			c = "unknown"
		} else if st, err := git("status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
			c += "-dirty"
		}
		b.Commit = c
	}
	switch {
	case date != "":
		t, err := time.Parse(time.RFC3339, date)
		if err != nil {
			return Build{}, fmt.Errorf("-date %q: write RFC 3339, e.g. 2026-05-01T12:00:00Z", date)
		}
		b.Time = t
	default:
		t, err := sourceTime(getenv, func() (string, error) { return git("log", "-1", "--format=%ct") })
		if err != nil {
			return Build{}, err
		}
		b.Time = t
	}
	return b, b.Validate()
}

// sourceTime is SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/)
// when set, else the commit's time.
func sourceTime(getenv func(string) (string, bool), commitTime func() (string, error)) (time.Time, error) {
	if v, ok := getenv("SOURCE_DATE_EPOCH"); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970 (for example $(git log -1 --format=%%ct))", v)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	v, err := commitTime()
	if err != nil {
		return time.Time{}, fmt.Errorf("no build date: %w; set SOURCE_DATE_EPOCH or give -date", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("commit time %q: %w", v, err)
	}
	return time.Unix(n, 0).UTC(), nil
}

// Release builds every target, at most o.Parallel at once, writes the artifacts and
// SHA256SUMS into o.Out and returns the artifacts in the order of o.Targets. The first
// failure stops the builds not yet started.
func Release(ctx context.Context, o Options) ([]Artifact, error) {
	if err := o.Build.Validate(); err != nil {
		return nil, err
	}
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	extras, err := extraFiles(o.Root)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	arts := make([]Artifact, len(o.Targets))
	errs := make([]error, len(o.Targets))
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i, t := range o.Targets {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			start := time.Now()
			a, err := buildOne(ctx, o, t, extras)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", t, err)
				cancel()
				return
			}
			arts[i] = a
			if o.Log != nil {
				fmt.Fprintf(o.Log, "  built %-16s %s\n", t, time.Since(start).Round(100*time.Millisecond))
			}
		})
	}
	wg.Wait()
	// The first real failure, not the cancellations it caused.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sums := make([]Sum, len(arts))
	for i, a := range arts {
		sums[i] = a.Sum
	}
	if err := os.WriteFile(filepath.Join(o.Out, "SHA256SUMS"), ChecksumFile(sums), 0o644); err != nil {
		return nil, err
	}
	return arts, nil
}

// extraFiles are the documents shipped in every archive: those of README.md,
// README.zh-CN.md and LICENSE that exist.
func extraFiles(root string) ([]File, error) {
	var fs []File
	for _, name := range []string{"LICENSE", "README.md", "README.zh-CN.md"} {
		data, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		fs = append(fs, File{Name: name, Mode: 0o644, Data: data})
	}
	return fs, nil
}

// buildOne compiles one target in a directory of its own and writes its artifact.
func buildOne(ctx context.Context, o Options, t Target, extras []File) (Artifact, error) {
	tmp, err := os.MkdirTemp("", "e5renew-release-*")
	if err != nil {
		return Artifact{}, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "e5renew"+t.Exe())
	cmd := exec.CommandContext(ctx, "go", GoBuildArgs(o.Build, bin)...)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), t.Env()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return Artifact{}, fmt.Errorf("go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return Artifact{}, err
	}
	a := Artifact{Target: t, Name: t.ArtifactName(o.Build.Version, o.Format), BinarySize: int64(len(data))}
	payload := data
	if o.Format == FormatArchive {
		files := append([]File{{Name: "e5renew" + t.Exe(), Mode: 0o755, Data: data}}, extras...)
		var buf bytes.Buffer
		if err := WriteArchive(&buf, t.GOOS == "windows", t.BaseName(o.Build.Version), files, o.Build.Time); err != nil {
			return Artifact{}, err
		}
		payload = buf.Bytes()
	}
	mode := os.FileMode(0o644)
	if o.Format == FormatBinary {
		mode = 0o755
	}
	if err := os.WriteFile(filepath.Join(o.Out, a.Name), payload, mode); err != nil {
		return Artifact{}, err
	}
	a.Size = int64(len(payload))
	a.Sum = SumOf(a.Name, payload)
	return a, nil
}

// writeTable prints the artifacts' sizes.
func writeTable(w io.Writer, arts []Artifact) {
	fmt.Fprintf(w, "%-16s %10s %10s  %s\n", "TARGET", "BINARY", "FILE", "NAME")
	for _, a := range arts {
		fmt.Fprintf(w, "%-16s %10s %10s  %s\n", a.Target, mib(a.BinarySize), mib(a.Size), a.Name)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
