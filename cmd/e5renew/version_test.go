package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionCommandPrintsEveryField(t *testing.T) {
	out, _, err := runCmd(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// Scripts parse the first line: it must stay "e5renew <version>".
	if len(lines) != 5 || lines[0] != "e5renew "+currentBuild().Version {
		t.Fatalf("version output:\n%s", out)
	}
	for i, prefix := range []string{"commit:", "built:", "go:", "platform:"} {
		if !strings.HasPrefix(lines[i+1], prefix) {
			t.Errorf("line %d is %q, want it to start with %q", i+2, lines[i+1], prefix)
		}
	}
	if !strings.Contains(out, runtime.GOOS+"/"+runtime.GOARCH) || !strings.Contains(out, "go1.") {
		t.Errorf("no platform or Go version:\n%s", out)
	}
}

func TestVersionResolveBuild(t *testing.T) {
	vcs := func(rev, tm, modified string) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/e5renew/e5renew", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: tm}, {Key: "vcs.modified", Value: modified}}}
	}
	installed := &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.4.0"}}
	tests := []struct {
		name    string
		v, c, d string
		bi      *debug.BuildInfo
		want    buildInfo
	}{
		{"linker flags win", "v1.2.3", "abc123", "2026-01-02T03:04:05Z", vcs("fff", "2020-01-01T00:00:00Z", "true"),
			buildInfo{"v1.2.3", "abc123", "2026-01-02T03:04:05Z", "go1.26.0", "linux/amd64"}},
		{"go build in a checkout", "dev", "", "", vcs("fff", "2020-01-01T00:00:00Z", "false"),
			buildInfo{"dev", "fff", "2020-01-01T00:00:00Z", "go1.26.0", "linux/amd64"}},
		{"modified checkout", "dev", "", "", vcs("fff", "2020-01-01T00:00:00Z", "true"),
			buildInfo{"dev", "fff-dirty", "2020-01-01T00:00:00Z", "go1.26.0", "linux/amd64"}},
		{"go install module@version", "dev", "", "", installed,
			buildInfo{"v1.4.0", "unknown", "unknown", "go1.26.1", "linux/amd64"}},
		{"nothing known", "dev", "", "", nil,
			buildInfo{"dev", "unknown", "unknown", "go1.26.9", "linux/amd64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolveBuild(tt.v, tt.c, tt.d, tt.bi, "go1.26.9", "linux/amd64")
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
