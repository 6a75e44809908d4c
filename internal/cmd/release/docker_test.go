package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// No image can be built here (no Docker, no registry), and Debian has no hadolint: these
// tests read the Dockerfile and hold it to what the image must be, and build its binary with
// exactly its command.

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	stage int    // index of the FROM it belongs to
	cmd   string // upper case: FROM, RUN, ...
	args  string
	line  int
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out   []instruction
		cur   strings.Builder
		start int
		stage = -1
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() > 0 && strings.HasPrefix(trimmed, "#") {
			continue // comments inside a continued instruction
		}
		if cur.Len() == 0 {
			start = n
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, instruction{stage: stage, cmd: cmd, args: strings.Join(strings.Fields(args), " "), line: start})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// shellWords splits a command line as sh does for the simple quoting the Dockerfile uses.
func shellWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
		quote rune
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c", quote)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

var reVar = regexp.MustCompile(`\$\{(\w+)(#[^}]*)?\}|\$(\w+)`)

// expand replaces $VAR, ${VAR} and ${VAR#prefix}; an unknown variable fails the test.
func expand(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	return reVar.ReplaceAllStringFunc(s, func(m string) string {
		g := reVar.FindStringSubmatch(m)
		name := g[1] + g[3]
		v, ok := vars[name]
		if !ok {
			t.Errorf("the Dockerfile uses $%s, which the test does not know", name)
		}
		return strings.TrimPrefix(v, strings.TrimPrefix(g[2], "#"))
	})
}

// dockerGoBuild is the Dockerfile's `go build` command: its environment assignments and the
// arguments after "go".
func dockerGoBuild(t *testing.T, ins []instruction, vars map[string]string) (env, args []string) {
	t.Helper()
	var found []string
	for _, in := range ins {
		if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
			continue
		}
		for _, part := range strings.Split(in.args, "&&") {
			if strings.Contains(part, "go build") {
				found = append(found, part)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one `go build` in the Dockerfile, found %d", len(found))
	}
	words, err := shellWords(found[0])
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for ; i < len(words) && strings.HasPrefix(words[i], "--mount="); i++ {
	}
	for ; i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-"); i++ {
		env = append(env, expand(t, words[i], vars))
	}
	if i >= len(words) || words[i] != "go" {
		t.Fatalf("the go build RUN is not `[VAR=value ...] go build ...`: %q", found[0])
	}
	for _, w := range words[i+1:] {
		args = append(args, expand(t, w, vars))
	}
	return env, args
}

func dockerVars(b Build, goos, goarch, variant string) map[string]string {
	return map[string]string{"TARGETOS": goos, "TARGETARCH": goarch, "TARGETVARIANT": variant,
		"VERSION": b.Version, "COMMIT": b.Commit, "DATE": b.Date()}
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, "../../../Dockerfile")
	var stages []instruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			stages = append(stages, in)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, found %d FROM", len(stages))
	}
	if !regexp.MustCompile(`^(--platform=\$BUILDPLATFORM )?golang:1\.26(\.\d+)?(-\w+)? AS build$`).MatchString(stages[0].args) {
		t.Errorf("line %d: the builder is FROM %s, want golang:1.26 AS build", stages[0].line, stages[0].args)
	}
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.args, "gcr.io/distroless/static-debian12:nonroot") && final.args != "scratch" {
		t.Errorf("line %d: the final image is %s, want distroless static (nonroot) or scratch", final.line, final.args)
	}
	last := func(cmd string) (instruction, bool) {
		var got instruction
		ok := false
		for _, in := range ins {
			if in.stage == final.stage && in.cmd == cmd {
				got, ok = in, true
			}
		}
		return got, ok
	}
	if u, ok := last("USER"); !ok || u.args == "root" || u.args == "0" || strings.HasPrefix(u.args, "0:") || strings.HasPrefix(u.args, "root:") {
		t.Errorf("the final stage must run as a non-root USER, has %q", u.args)
	}
	if v, ok := last("VOLUME"); !ok || !strings.Contains(v.args, "/data") {
		t.Errorf("no VOLUME /data: %q", v.args)
	}
	if e, ok := last("EXPOSE"); !ok || e.args != "8355" {
		t.Errorf("EXPOSE %q, want 8355", e.args)
	}
	if e, ok := last("ENV"); !ok || e.args != "E5RENEW_CONFIG=/data/e5renew.yaml" {
		t.Errorf("ENV %q, want E5RENEW_CONFIG=/data/e5renew.yaml (the configuration and its data_dir in the volume)", e.args)
	}
	// distroless and scratch have no shell, curl or wget: the health check is e5renew's own,
	// in exec form, and its default URL must be where CMD listens.
	hc, ok := last("HEALTHCHECK")
	if !ok || !strings.Contains(hc.args, `CMD ["/usr/local/bin/e5renew", "healthcheck"`) {
		t.Errorf("HEALTHCHECK %q, want CMD [\"/usr/local/bin/e5renew\", \"healthcheck\", ...]", hc.args)
	}
	if !strings.Contains(hc.args, "http://127.0.0.1:8355/healthz") {
		t.Errorf("HEALTHCHECK %q does not check http://127.0.0.1:8355/healthz", hc.args)
	}
	ep, _ := last("ENTRYPOINT")
	cmd, _ := last("CMD")
	if ep.args != `["/usr/local/bin/e5renew"]` || cmd.args != `["serve", "--listen", "0.0.0.0:8355"]` {
		t.Errorf("ENTRYPOINT %s CMD %s, want the binary and serve --listen 0.0.0.0:8355 (exec form)", ep.args, cmd.args)
	}

	// The build: the release tool's flags, environment and package, exactly.
	b := Build{Version: "v1.2.3", Commit: "abc", Time: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	env, args := dockerGoBuild(t, ins, dockerVars(b, "linux", "arm", "v7"))
	for _, want := range append(slices.Clone(BuildEnv), "GOOS=linux", "GOARCH=arm", "GOARM=7") {
		if !slices.Contains(env, want) {
			t.Errorf("the Dockerfile's go build environment %q lacks %s", env, want)
		}
	}
	want := GoBuildArgs(b, "/out/e5renew")
	if !slices.Equal(args, want) {
		t.Errorf("the Dockerfile builds with\n  go %q\nthe release tool with\n  go %q", args, want)
	}
}

func TestDockerignoreKeepsSecretsOut(t *testing.T) {
	data, err := os.ReadFile("../../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for _, want := range []string{".git", "e5renew.yaml", "e5renew-data", "dist"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
	for _, l := range lines {
		if l == "go.mod" || l == "go.sum" || l == "cmd" || l == "internal" || l == "emulator" || l == "*" {
			t.Errorf(".dockerignore excludes %s, which the build needs", l)
		}
	}
}

// TestDockerBuildCommand runs the Dockerfile's go build for linux/amd64 as the builder stage
// would, and (on linux/amd64) the binary's version.
func TestDockerBuildCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds e5renew: skipped with -short")
	}
	b := Build{Version: "v0.0.0-docker", Commit: "feedface", Time: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	env, args := dockerGoBuild(t, parseDockerfile(t, "../../../Dockerfile"), dockerVars(b, "linux", "amd64", ""))
	out := filepath.Join(t.TempDir(), "e5renew")
	for i, a := range args {
		if a == "/out/e5renew" {
			args[i] = out
		}
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = "../../.."
	cmd.Env = append(os.Environ(), env...)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, o)
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return
	}
	got, err := exec.Command(out, "version").Output()
	if err != nil || !strings.HasPrefix(string(got), "e5renew v0.0.0-docker\ncommit:   feedface\nbuilt:    2026-05-01T00:00:00Z\n") {
		t.Errorf("version: %v\n%s", err, got)
	}
}
