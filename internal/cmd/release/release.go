package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Package is what a release builds.
const Package = "./cmd/e5renew"

// BuildFlags are the `go build` flags of every release binary; the Dockerfile uses the same
// (a test compares them). -trimpath and -buildvcs=false keep paths and VCS state out of the
// binary, so the same commit builds the same bytes anywhere.
var BuildFlags = []string{"-trimpath", "-buildvcs=false"}

// BuildEnv is the environment every release build adds: no cgo, so binaries are static and
// cross-compile without a C toolchain (the SQLite driver is pure Go).
var BuildEnv = []string{"CGO_ENABLED=0"}

// LDFlagVars are the variables of package main the linker sets, in order.
var LDFlagVars = []string{"main.version", "main.commit", "main.date"}

// LDFlags strips the symbol table and DWARF (-s -w: a third smaller) and stamps the build.
func LDFlags(b Build) string {
	vals := []string{b.Version, b.Commit, b.Date()}
	parts := []string{"-s", "-w"}
	for i, v := range LDFlagVars {
		parts = append(parts, "-X", v+"="+vals[i])
	}
	return strings.Join(parts, " ")
}

// Build is what is stamped into a release: the version, the commit and the time of the
// sources (not of the build, so rebuilding gives the same bytes).
type Build struct {
	Version string
	Commit  string
	Time    time.Time
}

// Date is the build's time as RFC 3339 in UTC.
func (b Build) Date() string { return b.Time.UTC().Format(time.RFC3339) }

var reStamp = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// Validate refuses values that would break the linker flags or file names.
func (b Build) Validate() error {
	if !reStamp.MatchString(b.Version) {
		return fmt.Errorf("version %q: use letters, digits and . _ + - (for example v1.2.3)", b.Version)
	}
	if !reStamp.MatchString(b.Commit) {
		return fmt.Errorf("commit %q: use letters, digits and . _ + -", b.Commit)
	}
	return nil
}

// Target is one platform a release is built for.
type Target struct {
	GOOS, GOARCH string
	GOARM        string // "5", "6" or "7" for GOARCH=arm, else ""
}

// DefaultTargets are the platforms of a release.
const DefaultTargets = "linux/amd64,linux/arm64,linux/arm/7,windows/amd64,windows/arm64,darwin/amd64,darwin/arm64"

// known are the platforms a target may name: those Go supports with CGO_ENABLED=0 that a
// person may plausibly run e5renew on.
var known = map[string][]string{
	"linux":   {"386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64le", "riscv64", "s390x"},
	"windows": {"386", "amd64", "arm64"},
	"darwin":  {"amd64", "arm64"},
	"freebsd": {"386", "amd64", "arm", "arm64", "riscv64"},
	"openbsd": {"386", "amd64", "arm", "arm64", "riscv64"},
	"netbsd":  {"386", "amd64", "arm", "arm64"},
}

// ParseTargets reads a comma- or space-separated list of os/arch, with arm's version as
// linux/arm/7 or linux/armv7 (linux/arm alone means v7); "all" or "" is DefaultTargets,
// "host" the platform given. Duplicates are dropped; the order is kept.
func ParseTargets(s, hostOS, hostArch string) ([]Target, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultTargets
	}
	var out []Target
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		var ts []Target
		switch f {
		case "all":
			all, _ := ParseTargets(DefaultTargets, hostOS, hostArch)
			ts = all
		case "host":
			t, err := parseTarget(hostOS + "/" + hostArch)
			if err != nil {
				return nil, err
			}
			ts = []Target{t}
		default:
			t, err := parseTarget(f)
			if err != nil {
				return nil, err
			}
			ts = []Target{t}
		}
		for _, t := range ts {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("targets %q: name at least one, for example linux/amd64", s)
	}
	return out, nil
}

func parseTarget(s string) (Target, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Target{}, fmt.Errorf("target %q: write os/arch, for example linux/amd64 or linux/arm/7", s)
	}
	t := Target{GOOS: parts[0], GOARCH: parts[1]}
	variant := ""
	if len(parts) == 3 {
		variant = parts[2]
	}
	if v, ok := strings.CutPrefix(t.GOARCH, "armv"); ok && len(parts) == 2 {
		t.GOARCH, variant = "arm", v
	}
	arches, ok := known[t.GOOS]
	if !ok {
		return Target{}, fmt.Errorf("target %q: unknown os %q (known: %s)", s, t.GOOS, strings.Join(sortedKeys(known), ", "))
	}
	if !slices.Contains(arches, t.GOARCH) {
		return Target{}, fmt.Errorf("target %q: unknown arch %q for %s (known: %s)", s, t.GOARCH, t.GOOS, strings.Join(arches, ", "))
	}
	variant = strings.TrimPrefix(variant, "v")
	switch {
	case t.GOARCH == "arm" && variant == "":
		t.GOARM = "7"
	case t.GOARCH == "arm" && (variant == "5" || variant == "6" || variant == "7"):
		t.GOARM = variant
	case variant != "":
		return Target{}, fmt.Errorf("target %q: only arm takes a version (linux/arm/5, 6 or 7)", s)
	}
	return t, nil
}

func sortedKeys(m map[string][]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// String is the target as ParseTargets reads it: linux/amd64, linux/arm/7.
func (t Target) String() string {
	if t.GOARM != "" {
		return t.GOOS + "/" + t.GOARCH + "/" + t.GOARM
	}
	return t.GOOS + "/" + t.GOARCH
}

// Arch is the architecture in file names: amd64, arm64, armv7.
func (t Target) Arch() string {
	if t.GOARM != "" {
		return t.GOARCH + "v" + t.GOARM
	}
	return t.GOARCH
}

// Exe is the executable's suffix: ".exe" on Windows.
func (t Target) Exe() string {
	if t.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// Env is the environment of the target's build, on top of BuildEnv. Every variable that
// selects code generation is set to Go's default, and GOFLAGS to a fixed value, so the
// caller's environment (or go env -w) cannot change the bytes.
func (t Target) Env() []string {
	return append(slices.Clone(BuildEnv), "GOOS="+t.GOOS, "GOARCH="+t.GOARCH, "GOARM="+t.GOARM,
		"GOAMD64=v1", "GOARM64=v8.0", "GO386=sse2", "GOFLAGS=-mod=readonly")
}

// BaseName is the name of the target's artifact without extension:
// e5renew_v1.2.3_linux_amd64.
func (t Target) BaseName(version string) string {
	return "e5renew_" + version + "_" + t.GOOS + "_" + t.Arch()
}

// Format is how artifacts are shipped.
type Format string

const (
	// FormatArchive packs the binary with the READMEs and LICENSE: .zip for Windows,
	// .tar.gz for the others (keeps the executable bit).
	FormatArchive Format = "archive"
	// FormatBinary ships the bare executable.
	FormatBinary Format = "binary"
)

// ArtifactName is the file a target's build is shipped as.
func (t Target) ArtifactName(version string, f Format) string {
	switch {
	case f == FormatBinary:
		return t.BaseName(version) + t.Exe()
	case t.GOOS == "windows":
		return t.BaseName(version) + ".zip"
	default:
		return t.BaseName(version) + ".tar.gz"
	}
}

// GoBuildArgs are the arguments of `go` that build the target's binary to out.
func GoBuildArgs(b Build, out string) []string {
	args := append([]string{"build"}, BuildFlags...)
	return append(args, "-ldflags", LDFlags(b), "-o", out, Package)
}
