package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// defaultHealthURL is /healthz of `e5renew serve` on its default address.
const defaultHealthURL = "http://127.0.0.1:8355/healthz"

func newHealthcheckCommand(d *deps) *cobra.Command {
	var (
		rawURL  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when a running daemon's /healthz answers 200, else 1 (for Docker HEALTHCHECK) / 检查守护进程是否健康",
		Long: `Asks a running "e5renew serve" for /healthz and exits 0 when it answers 200 OK, else 1 with
what went wrong. Made for container health checks: the image has no curl or wget.

请求正在运行的 "e5renew serve" 的 /healthz：返回 200 OK 时退出码为 0，否则为 1 并说明原因。
用于容器健康检查（镜像中没有 curl 或 wget）。`,
		Example: `  e5renew healthcheck
  e5renew healthcheck --url http://127.0.0.1:9000/healthz --timeout 3s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return healthcheck(cmd.Context(), d, rawURL, timeout)
		},
	}
	cmd.Flags().StringVar(&rawURL, "url", defaultHealthURL, "the daemon's /healthz address / 健康检查地址")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long / 超时")
	return cmd
}

func healthcheck(ctx context.Context, d *deps, rawURL string, timeout time.Duration) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("healthcheck: %q is not an http(s) URL: give the daemon's /healthz, e.g. %s", rawURL, defaultHealthURL)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	// No proxy from the environment: the daemon is on this machine (or in this container).
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %s did not answer: %w (is `e5renew serve` running and listening there?)", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(body))
		if msg != "" {
			msg = ": " + msg
		}
		return fmt.Errorf("healthcheck: %s answered %s%s", u.Redacted(), resp.Status, msg)
	}
	fmt.Fprintf(d.stdout, "%s: %s\n", u.Redacted(), resp.Status)
	return nil
}
