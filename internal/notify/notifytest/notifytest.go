// Package notifytest is a fake HTTP service for the tests of the channel packages: it
// records every request and gives every one the same answer. Only _test.go files import
// it.
package notifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// Request is what the service saw of one request.
type Request struct {
	Method, Path, RawQuery string
	Query                  url.Values
	ContentType            string
	// Raw is the body as sent; Body is the same decoded as a JSON object.
	Raw  string
	Body map[string]any
}

// Server is the fake service; its URL is Server.URL.
type Server struct {
	*httptest.Server
	t    testing.TB
	mu   sync.Mutex
	reqs []Request
}

// NewServer starts a service that answers every request with status and answer (and no
// Content-Type of its own), failing t when a request's body is not a JSON object. It is
// closed when the test ends.
func NewServer(t testing.TB, status int, answer string) *Server {
	t.Helper()
	s := &Server{t: t}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("body is not a JSON object: %v: %s", err, raw)
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{
			Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Query: r.URL.Query(),
			ContentType: r.Header.Get("Content-Type"), Raw: string(raw), Body: body,
		})
		s.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(s.Close)
	return s
}

// Requests returns the requests seen so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Last returns the latest request, failing the test at once when there was none.
func (s *Server) Last() Request {
	s.t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		s.t.Fatal("the service saw no request")
	}
	return reqs[len(reqs)-1]
}
