package main

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHealthcheck(t *testing.T) {
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
		w.Write([]byte(`{"status":"stopping"}`))
	}))
	defer srv.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/healthz"
	l.Close()

	tests := []struct {
		name    string
		status  int
		args    []string
		wantErr string // "" for success
	}{
		{"healthy", 200, []string{"--url", srv.URL + "/healthz"}, ""},
		{"stopping", 503, []string{"--url", srv.URL + "/healthz"}, `answered 503 Service Unavailable: {"status":"stopping"}`},
		{"wrong path", 200, []string{"--url", srv.URL + "/nothing"}, "answered 404"},
		{"nobody listening", 200, []string{"--url", closed}, "did not answer"},
		{"too slow", 200, []string{"--url", slow.URL + "/healthz", "--timeout", "100ms"}, "did not answer"},
		{"not a URL", 200, []string{"--url", "127.0.0.1:8355/healthz"}, "is not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status.Store(int32(tt.status))
			out, _, err := runCmd(t, append([]string{"healthcheck"}, tt.args...)...)
			if tt.wantErr == "" {
				if err != nil || !strings.Contains(out, "200 OK") {
					t.Fatalf("err %v, output %q", err, out)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestHealthcheckExitStatus runs the real process: Docker reads only the exit status.
func TestHealthcheckExitStatus(t *testing.T) {
	var broken atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	run := func() (int, string) {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "healthcheck", "--url", srv.URL+"/healthz")
		cmd.Env = append(os.Environ(), "E5RENEW_TEST_MAIN=1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := run(); code != 0 {
		t.Errorf("healthy daemon: exit %d\n%s", code, out)
	}
	broken.Store(true)
	if code, out := run(); code != 1 || !strings.Contains(out, "e5renew: healthcheck:") || !strings.Contains(out, "503") {
		t.Errorf("unhealthy daemon: exit %d, want 1\n%s", code, out)
	}
}
