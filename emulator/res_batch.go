package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// JSON batching (protocol.md §2.3): up to 20 requests, ids unique (case-insensitively),
// dependsOn honoured with 424 for dependents of a failed request, inner requests throttled
// independently, responses possibly out of order.

const maxBatch = 20

func (e *Emulator) registerBatch(rt *router) {
	rt.add(&route{method: "POST", template: "/$batch", workload: wlBatch, h: (*gc).batch, noAuthZ: true})
}

type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// batch runs without the emulator lock: each inner request takes it like a top-level one.
func (c *gc) batch() {
	var req struct {
		Requests []batchRequest `json:"requests"`
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(&req); err != nil || req.Requests == nil {
		c.fail(gerr(400, "BadRequest", "Invalid batch payload format."))
		return
	}
	if len(req.Requests) == 0 {
		c.fail(gerr(400, "BadRequest", "The batch request must contain at least one request."))
		return
	}
	if len(req.Requests) > maxBatch {
		c.fail(gerr(400, "BadRequest", "The batch request exceeds the maximum of %d requests.", maxBatch))
		return
	}
	ids := map[string]bool{}
	for _, r := range req.Requests {
		if r.ID == "" || r.Method == "" || r.URL == "" {
			c.fail(gerr(400, "BadRequest", "Each request in a batch must have an id, a method and a url."))
			return
		}
		k := strings.ToLower(r.ID)
		if ids[k] {
			c.fail(gerr(400, "BadRequest", "Request Id '%s' is duplicated. Ids must be unique within a batch.", r.ID))
			return
		}
		ids[k] = true
		if strings.HasPrefix(strings.ToLower(r.URL), "http://") || strings.HasPrefix(strings.ToLower(r.URL), "https://") {
			c.fail(gerr(400, "BadRequest", "Request url for request id '%s' must be relative.", r.ID))
			return
		}
		if len(r.Body) > 0 && headerGet(r.Headers, "Content-Type") == "" {
			c.fail(gerr(400, "BadRequest", "Content-Type header must be specified for request id '%s' because it has a body.", r.ID))
			return
		}
	}
	for _, r := range req.Requests {
		for _, d := range r.DependsOn {
			if !ids[strings.ToLower(d)] {
				c.fail(gerr(400, "BadRequest", "Request id '%s' depends on request id '%s', which is not in the batch.", r.ID, d))
				return
			}
		}
	}
	done := map[string]*batchResponse{}
	var order []*batchResponse
	var run func(r batchRequest, depth int) *batchResponse
	byID := map[string]batchRequest{}
	for _, r := range req.Requests {
		byID[strings.ToLower(r.ID)] = r
	}
	run = func(r batchRequest, depth int) *batchResponse {
		k := strings.ToLower(r.ID)
		if res := done[k]; res != nil {
			return res
		}
		if depth > maxBatch {
			res := &batchResponse{ID: r.ID, Status: 400, Body: errBody("BadRequest", "Circular dependency in batch request.")}
			done[k] = res
			return res
		}
		for _, d := range r.DependsOn {
			dep := run(byID[strings.ToLower(d)], depth+1)
			if dep.Status >= 400 {
				res := &batchResponse{ID: r.ID, Status: 424, Body: errBody("FailedDependency", "Dependent request failed.")}
				done[k] = res
				order = append(order, res)
				return res
			}
		}
		res := c.runInner(r)
		done[k] = res
		order = append(order, res)
		return res
	}
	for _, r := range req.Requests {
		run(r, 0)
	}
	// Responses may come back in any order; clients must match them by id.
	for i := len(order) - 1; i > 0; i-- {
		j := c.e.intn(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	c.writeJSON(200, map[string]any{"responses": order})
}

func errBody(code, msg string) map[string]any {
	return map[string]any{"error": map[string]any{"code": code, "message": msg}}
}

func headerGet(h map[string]string, k string) string {
	for hk, v := range h {
		if strings.EqualFold(hk, k) {
			return v
		}
	}
	return ""
}

// runInner executes one batch step through the normal pipeline.
func (c *gc) runInner(r batchRequest) *batchResponse {
	u := "/" + strings.TrimPrefix(r.URL, "/")
	path, rawQuery, _ := strings.Cut(u, "?")
	if strings.EqualFold(strings.TrimPrefix(path, "/"), "$batch") {
		return &batchResponse{ID: r.ID, Status: 400, Body: errBody("BadRequest", "Nested batch requests are not supported.")}
	}
	hdr := http.Header{}
	for k, v := range r.Headers {
		hdr.Set(k, v)
	}
	hdr.Set("Authorization", c.header.Get("Authorization"))
	var body []byte
	if len(r.Body) > 0 {
		var s string
		if json.Unmarshal(r.Body, &s) == nil && !strings.Contains(strings.ToLower(hdr.Get("Content-Type")), "json") {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return &batchResponse{ID: r.ID, Status: 400, Body: errBody("BadRequest", "The body of a non-JSON request must be base64-encoded.")}
			}
			body = b
		} else {
			body = r.Body
		}
	}
	inner := c.e.newGC(c.r, r.Method, "/"+c.ver+path, rawQuery, hdr, body)
	c.e.process(inner)
	tmpl := "(unmatched)"
	if inner.route != nil {
		tmpl = inner.route.template
	}
	c.e.stats.request(inner.method, tmpl, inner.status)
	res := &batchResponse{ID: r.ID, Status: inner.status, Headers: map[string]string{}}
	for k := range inner.outHdr {
		switch strings.ToLower(k) {
		case "content-type", "retry-after", "location", "odata-version", "cache-control":
			res.Headers[k] = inner.outHdr.Get(k)
		}
	}
	if len(inner.outBody) > 0 {
		if strings.Contains(inner.outHdr.Get("Content-Type"), "json") {
			res.Body = json.RawMessage(inner.outBody)
		} else {
			res.Body = base64.StdEncoding.EncodeToString(inner.outBody)
		}
	}
	return res
}
