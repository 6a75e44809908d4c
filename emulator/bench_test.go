package emulator

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkGraphThroughput measures Graph requests per second through the real HTTP stack
// (loopback, keep-alive) with token validation, permission checks and JSON encoding.
// Target: at least 5,000 requests/s on two cores.
//
//	go test ./emulator -run '^$' -bench GraphThroughput -benchtime 5s
func BenchmarkGraphThroughput(b *testing.B) {
	for _, c := range []struct{ name, path string }{
		{"messages", "/v1.0/me/messages?$top=5&$select=subject"},
		{"me", "/v1.0/me"},
		{"driveChildren", "/v1.0/me/drive/root/children"},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := newHarness(b, Options{Now: time.Now}, allScopes, allRoles)
			tok := h.userToken(b, h.alex)
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			client := &http.Client{Transport: tr}
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", h.srv.URL+c.path, nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
