package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReleaseParseTargets(t *testing.T) {
	tests := []struct {
		in      string
		want    []string // Target.String()
		wantErr string
	}{
		{"", []string{"linux/amd64", "linux/arm64", "linux/arm/7", "windows/amd64", "windows/arm64", "darwin/amd64", "darwin/arm64"}, ""},
		{"all", []string{"linux/amd64", "linux/arm64", "linux/arm/7", "windows/amd64", "windows/arm64", "darwin/amd64", "darwin/arm64"}, ""},
		{"linux/amd64", []string{"linux/amd64"}, ""},
		{"linux/arm", []string{"linux/arm/7"}, ""},
		{"linux/armv6, linux/arm/v5 linux/arm/7", []string{"linux/arm/6", "linux/arm/5", "linux/arm/7"}, ""},
		{"host,linux/riscv64,host", []string{"freebsd/amd64", "linux/riscv64"}, ""},
		{"linux/amd64,all", []string{"linux/amd64", "linux/arm64", "linux/arm/7", "windows/amd64", "windows/arm64", "darwin/amd64", "darwin/arm64"}, ""},
		{"linux", nil, "write os/arch"},
		{"plan10/amd64", nil, `unknown os "plan10"`},
		{"darwin/386", nil, `unknown arch "386" for darwin`},
		{"linux/arm/8", nil, "only arm takes a version"},
		{"linux/amd64/v3", nil, "only arm takes a version"},
		{"linux/amd64/x/y", nil, "write os/arch"},
		{" , ", nil, "name at least one"},
	}
	for _, tt := range tests {
		got, err := ParseTargets(tt.in, "freebsd", "amd64")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTargets(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTargets(%q): %v", tt.in, err)
			continue
		}
		var names []string
		for _, x := range got {
			names = append(names, x.String())
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("ParseTargets(%q) = %v, want %v", tt.in, names, tt.want)
		}
	}
}

func TestReleaseNames(t *testing.T) {
	tests := []struct {
		target, archive, binary string
	}{
		{"linux/amd64", "e5renew_v1.2.3_linux_amd64.tar.gz", "e5renew_v1.2.3_linux_amd64"},
		{"linux/arm64", "e5renew_v1.2.3_linux_arm64.tar.gz", "e5renew_v1.2.3_linux_arm64"},
		{"linux/arm/7", "e5renew_v1.2.3_linux_armv7.tar.gz", "e5renew_v1.2.3_linux_armv7"},
		{"windows/amd64", "e5renew_v1.2.3_windows_amd64.zip", "e5renew_v1.2.3_windows_amd64.exe"},
		{"windows/arm64", "e5renew_v1.2.3_windows_arm64.zip", "e5renew_v1.2.3_windows_arm64.exe"},
		{"darwin/arm64", "e5renew_v1.2.3_darwin_arm64.tar.gz", "e5renew_v1.2.3_darwin_arm64"},
	}
	for _, tt := range tests {
		ts, err := ParseTargets(tt.target, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := ts[0].ArtifactName("v1.2.3", FormatArchive); got != tt.archive {
			t.Errorf("%s archive: %s, want %s", tt.target, got, tt.archive)
		}
		if got := ts[0].ArtifactName("v1.2.3", FormatBinary); got != tt.binary {
			t.Errorf("%s binary: %s, want %s", tt.target, got, tt.binary)
		}
	}
}

func TestReleaseTargetEnv(t *testing.T) {
	arm := Target{GOOS: "linux", GOARCH: "arm", GOARM: "7"}
	env := arm.Env()
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm", "GOARM=7"} {
		if !slices.Contains(env, want) {
			t.Errorf("env %v lacks %s", env, want)
		}
	}
	// Appended after os.Environ(), these must override what the caller has set.
	for _, key := range []string{"GOFLAGS=", "GOAMD64=", "GOARM64="} {
		if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, key) }) {
			t.Errorf("env %v does not pin %s", env, key)
		}
	}
}

func TestReleaseLDFlags(t *testing.T) {
	b := Build{Version: "v1.2.3", Commit: "0123abcd", Time: time.Date(2026, 5, 1, 14, 30, 0, 0, time.FixedZone("CST", 8*3600))}
	want := "-s -w -X main.version=v1.2.3 -X main.commit=0123abcd -X main.date=2026-05-01T06:30:00Z"
	if got := LDFlags(b); got != want {
		t.Errorf("LDFlags = %q\nwant      %q", got, want)
	}
	args := GoBuildArgs(b, "/tmp/x/e5renew")
	wantArgs := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", want, "-o", "/tmp/x/e5renew", "./cmd/e5renew"}
	if !slices.Equal(args, wantArgs) {
		t.Errorf("GoBuildArgs = %q\nwant          %q", args, wantArgs)
	}
	for _, bad := range []Build{{Version: "v1 2", Commit: "x"}, {Version: "v1", Commit: "a -X main.x=y"}, {Version: "", Commit: "x"}, {Version: "../v1", Commit: "x"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestReleaseSourceTime(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	commit := func() (string, error) { return "1767225600", nil } // 2026-01-01T00:00:00Z
	noGit := func() (string, error) { return "", errors.New("not a git repository") }
	got, err := sourceTime(env(map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}), commit)
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("SOURCE_DATE_EPOCH: %v %v", got, err)
	}
	got, err = sourceTime(env(nil), commit)
	if err != nil || got.Format(time.RFC3339) != "2026-01-01T00:00:00Z" {
		t.Errorf("commit time: %v %v", got, err)
	}
	if _, err := sourceTime(env(nil), noGit); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("no git, no SOURCE_DATE_EPOCH: %v", err)
	}
	if _, err := sourceTime(env(map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}), commit); err == nil {
		t.Error("SOURCE_DATE_EPOCH=yesterday accepted")
	}
}

func TestReleaseChecksumFile(t *testing.T) {
	sums := []Sum{SumOf("b.zip", []byte("bee")), SumOf("a.tar.gz", []byte("ay"))}
	got := string(ChecksumFile(sums))
	hash := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	want := hash("ay") + "  a.tar.gz\n" + hash("bee") + "  b.zip\n"
	if got != want {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", got, want)
	}
	// sha256sum -c is the reader that matters.
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("no sha256sum")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.tar.gz"), []byte("ay"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.zip"), []byte("bee"), 0o644)
	os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(got), 0o644)
	cmd := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(dir, "b.zip"), []byte("bees"), 0o644)
	cmd = exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	cmd.Dir = dir
	if err := cmd.Run(); err == nil {
		t.Error("sha256sum -c accepted a changed file")
	}
}

func testFiles() []File {
	return []File{
		{Name: "README.md", Mode: 0o644, Data: []byte("# e5renew\n")},
		{Name: "e5renew", Mode: 0o755, Data: bytes.Repeat([]byte("binary "), 1000)},
		{Name: "LICENSE", Mode: 0o644, Data: []byte("license\n")},
	}
}

func TestReleaseArchiveDeterministic(t *testing.T) {
	mtime := time.Date(2026, 5, 1, 6, 30, 0, 0, time.UTC)
	for _, zipped := range []bool{false, true} {
		var a, b bytes.Buffer
		if err := WriteArchive(&a, zipped, "e5renew_v1_linux_amd64", testFiles(), mtime); err != nil {
			t.Fatal(err)
		}
		// Another order of the same files, the same instant in another zone, later.
		files := testFiles()
		slices.Reverse(files)
		time.Sleep(1100 * time.Millisecond)
		if err := WriteArchive(&b, zipped, "e5renew_v1_linux_amd64", files, mtime.In(time.FixedZone("X", -7*3600)).Add(300*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("zip=%v: two archives of the same files differ", zipped)
		}
		var c bytes.Buffer
		WriteArchive(&c, zipped, "e5renew_v1_linux_amd64", testFiles(), mtime.Add(time.Hour))
		if bytes.Equal(a.Bytes(), c.Bytes()) {
			t.Errorf("zip=%v: the time is not in the archive", zipped)
		}
	}
	if err := WriteArchive(io.Discard, false, "x", append(testFiles(), File{Name: "LICENSE"}), mtime); err == nil {
		t.Error("a file twice was accepted")
	}
}

type entry struct {
	name  string
	mode  os.FileMode
	mtime time.Time
	data  string
}

// readArchive lists an archive's entries as an unpacker sees them.
func readArchive(t *testing.T, data []byte, zipped bool) []entry {
	t.Helper()
	var es []entry
	if zipped {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			es = append(es, entry{f.Name, f.Mode(), f.Modified.UTC(), string(b)})
		}
		return es
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d", h.Name, h.Uid, h.Gid)
		}
		b, _ := io.ReadAll(tr)
		es = append(es, entry{h.Name, h.FileInfo().Mode(), h.ModTime.UTC(), string(b)})
	}
	return es
}

func TestReleaseArchiveContents(t *testing.T) {
	mtime := time.Date(2026, 5, 1, 6, 30, 0, 0, time.UTC)
	for _, zipped := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteArchive(&buf, zipped, "top", testFiles(), mtime); err != nil {
			t.Fatal(err)
		}
		es := readArchive(t, buf.Bytes(), zipped)
		var names []string
		for _, e := range es {
			names = append(names, e.name)
			if !e.mtime.Equal(mtime) {
				t.Errorf("zip=%v %s: time %v, want %v", zipped, e.name, e.mtime, mtime)
			}
			want := os.FileMode(0o644)
			switch e.name {
			case "top/":
				want = os.ModeDir | 0o755
			case "top/e5renew":
				want = 0o755
				if !strings.HasPrefix(e.data, "binary binary") {
					t.Errorf("zip=%v: executable's content %q", zipped, e.data[:20])
				}
			}
			if e.mode != want {
				t.Errorf("zip=%v %s: mode %v, want %v", zipped, e.name, e.mode, want)
			}
		}
		if want := []string{"top/", "top/LICENSE", "top/README.md", "top/e5renew"}; !slices.Equal(names, want) {
			t.Errorf("zip=%v: entries %v, want %v (sorted, in one directory)", zipped, names, want)
		}
	}
	// Zip cannot say 1970: such a time becomes 1980-01-01, the same every time.
	var a, b bytes.Buffer
	WriteArchive(&a, true, "top", testFiles(), time.Unix(0, 0))
	WriteArchive(&b, true, "top", testFiles(), time.Unix(1, 0))
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("zip with a time before 1980 is not clamped")
	}
}

// TestReleaseHostBuild builds the host's release archive with the real go toolchain, unpacks
// it, and runs the binary's `version`.
func TestReleaseHostBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds e5renew: skipped with -short")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := ParseTargets("host", runtime.GOOS, runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	b := Build{Version: "v9.8.7-test", Commit: "0123456789abcdef", Time: time.Date(2026, 5, 1, 6, 30, 0, 0, time.UTC)}
	arts, err := Release(context.Background(), Options{Root: root, Out: out, Build: b, Targets: ts, Format: FormatArchive, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := arts[0]
	data, err := os.ReadFile(filepath.Join(out, a.Name))
	if err != nil {
		t.Fatal(err)
	}
	sums, _ := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if string(sums) != string(ChecksumFile([]Sum{SumOf(a.Name, data)})) {
		t.Errorf("SHA256SUMS:\n%s", sums)
	}
	var bin []byte
	for _, e := range readArchive(t, data, ts[0].GOOS == "windows") {
		if e.name == ts[0].BaseName(b.Version)+"/e5renew"+ts[0].Exe() {
			bin = []byte(e.data)
		}
		if e.name == ts[0].BaseName(b.Version)+"/README.md" && !strings.HasPrefix(e.data, "# e5renew") {
			t.Errorf("README.md in the archive: %.40q", e.data)
		}
	}
	if int64(len(bin)) != a.BinarySize || len(bin) == 0 {
		t.Fatalf("binary in the archive: %d bytes, built %d", len(bin), a.BinarySize)
	}
	exe := filepath.Join(t.TempDir(), "e5renew"+ts[0].Exe())
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(exe, "version").Output()
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	want := "e5renew v9.8.7-test\ncommit:   0123456789abcdef\nbuilt:    2026-05-01T06:30:00Z\n"
	if !strings.HasPrefix(string(got), want) || !strings.Contains(string(got), runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("version:\n%s\nwant it to start with:\n%s", got, want)
	}
	// Static: no program interpreter (dynamic loader) asked for.
	if runtime.GOOS == "linux" {
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary asks for a dynamic loader: not static")
			}
		}
	}
	// Reproducible: a second build gives the same bytes (as a bare binary: the archive's
	// determinism is tested above, and compressing is slow under -race).
	out2 := t.TempDir()
	arts2, err := Release(context.Background(), Options{Root: root, Out: out2, Build: b, Targets: ts, Format: FormatBinary, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	bin2, err := os.ReadFile(filepath.Join(out2, arts2[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bin, bin2) {
		t.Error("two builds of the same sources differ")
	}
	if fi, err := os.Stat(filepath.Join(out2, arts2[0].Name)); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("-format binary: %s is not executable (%v)", arts2[0].Name, err)
	}
}
