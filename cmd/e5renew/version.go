package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set at build time, like version (main.go), by the release tool (internal/cmd/release) and
// the Dockerfile: -ldflags "-X main.version=v1.2.3 -X main.commit=<sha> -X main.date=<RFC 3339>".
var (
	commit = ""
	date   = ""
)

// buildInfo is what `e5renew version` prints.
type buildInfo struct {
	Version, Commit, Date, GoVersion, Platform string
}

// currentBuild fills what the linker flags left empty from the binary's embedded build
// information: the module version of `go install …@v1.2.3`, and the VCS revision and time
// that `go build` records in a checkout (unless -buildvcs=false).
func currentBuild() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return resolveBuild(version, commit, date, bi, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
}

func resolveBuild(v, c, d string, bi *debug.BuildInfo, goVersion, platform string) buildInfo {
	b := buildInfo{Version: v, Commit: c, Date: d, GoVersion: goVersion, Platform: platform}
	if bi != nil {
		if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && c == "" && b.Commit != "" {
			b.Commit += "-dirty"
		}
		if bi.GoVersion != "" {
			b.GoVersion = bi.GoVersion
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

// write prints the build; the first line stays "e5renew <version>" for scripts.
func (b buildInfo) write(w io.Writer) {
	fmt.Fprintf(w, "e5renew %s\ncommit:   %s\nbuilt:    %s\ngo:       %s\nplatform: %s\n", b.Version, b.Commit, b.Date, b.GoVersion, b.Platform)
}
