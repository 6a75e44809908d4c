package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// MaxBatch is the most requests one $batch may carry.
const MaxBatch = 20

// BatchRequest is one step of a JSON batch (protocol.md §2.3).
type BatchRequest struct {
	ID        string
	Method    string
	URL       string // relative and without the version: "/me/messages?$top=5"
	Headers   map[string]string
	Body      any // a JSON value; Content-Type application/json is added
	DependsOn []string
}

// BatchResponse is the answer to one step.
type BatchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// Err returns the step's failure as an *Error, or nil for 2xx.
func (r BatchResponse) Err(method, url string) *Error {
	if r.Status/100 == 2 {
		return nil
	}
	e := &Error{Method: method, Path: url, Status: r.Status}
	decodeError(e, r.Body)
	e.RetryAfter = ParseRetryAfter(headerValue(r.Headers, "Retry-After"), time.Now())
	return e
}

// Bytes returns the body of a non-JSON answer (base64 in the batch), or the JSON itself.
func (r BatchResponse) Bytes() []byte {
	var s string
	if json.Unmarshal(r.Body, &s) == nil && !strings.Contains(headerValue(r.Headers, "Content-Type"), "json") {
		if b, err := base64.StdEncoding.DecodeString(s); err == nil {
			return b
		}
	}
	return r.Body
}

func headerValue(h map[string]string, k string) string {
	for hk, v := range h {
		if strings.EqualFold(hk, k) {
			return v
		}
	}
	return ""
}

type wireStep struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      any               `json:"body,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
}

func validateBatch(reqs []BatchRequest) error {
	if len(reqs) == 0 {
		return fmt.Errorf("$batch: no requests")
	}
	if len(reqs) > MaxBatch {
		return fmt.Errorf("$batch: %d requests, at most %d are allowed", len(reqs), MaxBatch)
	}
	ids := map[string]bool{}
	for _, r := range reqs {
		k := strings.ToLower(r.ID)
		if k == "" {
			return fmt.Errorf("$batch: a request has no id")
		}
		if ids[k] {
			return fmt.Errorf("$batch: id %q is used twice (ids are compared case-insensitively)", r.ID)
		}
		ids[k] = true
	}
	for _, r := range reqs {
		for _, d := range r.DependsOn {
			if !ids[strings.ToLower(d)] {
				return fmt.Errorf("$batch: request %q depends on unknown id %q", r.ID, d)
			}
		}
	}
	return nil
}

// Batch sends up to 20 requests in one call. Steps answered 429, 503 or 504 (and the
// steps that failed with 424 because of them) are sent again after the longest Retry-After
// they carried, as Graph's SDKs do not. Answers come back in the order of reqs.
func (c *Client) Batch(ctx context.Context, version string, reqs []BatchRequest) ([]BatchResponse, error) {
	if err := validateBatch(reqs); err != nil {
		return nil, err
	}
	byID := map[string]int{}
	for i, r := range reqs {
		byID[strings.ToLower(r.ID)] = i
	}
	results := make([]BatchResponse, len(reqs))
	pending := make([]int, len(reqs))
	for i := range reqs {
		pending[i] = i
	}
	for attempt := 1; ; attempt++ {
		steps := make([]wireStep, 0, len(pending))
		inBatch := map[string]bool{}
		for _, i := range pending {
			inBatch[strings.ToLower(reqs[i].ID)] = true
		}
		for _, i := range pending {
			r := reqs[i]
			s := wireStep{ID: r.ID, Method: strings.ToUpper(firstNonEmpty(r.Method, "GET")), URL: r.URL, Headers: r.Headers, Body: r.Body}
			if r.Body != nil && headerValue(s.Headers, "Content-Type") == "" {
				s.Headers = map[string]string{"Content-Type": "application/json"}
				for k, v := range r.Headers {
					s.Headers[k] = v
				}
			}
			for _, d := range r.DependsOn {
				if inBatch[strings.ToLower(d)] { // dependencies answered earlier are done
					s.DependsOn = append(s.DependsOn, d)
				}
			}
			steps = append(steps, s)
		}
		resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/$batch", Version: version, Body: map[string]any{"requests": steps}})
		if err != nil {
			return nil, err
		}
		var out struct {
			Responses []BatchResponse `json:"responses"`
		}
		if err := resp.JSON(&out); err != nil {
			return nil, err
		}
		for _, r := range out.Responses {
			if i, ok := byID[strings.ToLower(r.ID)]; ok {
				results[i] = r
			}
		}
		var retry []int
		var wait time.Duration
		for _, i := range pending {
			st := results[i].Status
			switch st {
			case 0:
				results[i].Status = http.StatusBadGateway // missing from the answer
				retry = append(retry, i)
			case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
				retry = append(retry, i)
				if d := ParseRetryAfter(headerValue(results[i].Headers, "Retry-After"), time.Now()); d > wait {
					wait = d
				}
			}
		}
		if len(retry) == 0 || attempt >= c.opts.MaxAttempts {
			return results, nil
		}
		// Dependents that failed only because a retried step failed go again too.
		again := map[int]bool{}
		for _, i := range retry {
			again[i] = true
		}
		for changed := true; changed; {
			changed = false
			for _, i := range pending {
				if again[i] || results[i].Status != http.StatusFailedDependency {
					continue
				}
				for _, d := range reqs[i].DependsOn {
					if again[byID[strings.ToLower(d)]] {
						again[i], changed = true, true
						break
					}
				}
			}
		}
		if wait > c.opts.MaxRetryAfter {
			return results, nil
		}
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return results, nil
		}
		pending = pending[:0]
		for i := range reqs {
			if again[i] {
				pending = append(pending, i)
			}
		}
	}
}
