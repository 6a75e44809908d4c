package ghactions

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// WorkflowState is a workflow's state as the API reports it.
type WorkflowState string

// The states GitHub documents.
const (
	StateActive             WorkflowState = "active"
	StateDeleted            WorkflowState = "deleted"
	StateDisabledFork       WorkflowState = "disabled_fork"
	StateDisabledInactivity WorkflowState = "disabled_inactivity"
	StateDisabledManually   WorkflowState = "disabled_manually"
)

// Workflow is a repository's workflow.
type Workflow struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name"`
	Path      string        `json:"path"` // ".github/workflows/e5renew.yml"
	State     WorkflowState `json:"state"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	HTMLURL   string        `json:"html_url"`
}

// workflowID accepts a numeric id, a file name ("e5renew.yml") or the file's path in
// the repository (".github/workflows/e5renew.yml"), and returns the escaped path element.
func workflowID(id string) (string, error) {
	id = strings.TrimSpace(id)
	id = strings.TrimPrefix(id, "./")
	id = strings.TrimPrefix(id, ".github/workflows/")
	if id == "" || strings.Contains(id, "/") || id == "." || id == ".." {
		return "", fmt.Errorf("%w: %q is not a workflow: give its numeric id or its file name, e.g. e5renew.yml", ErrConfig, id)
	}
	return url.PathEscape(id), nil
}

// Workflow reads a workflow, by numeric id or file name (GET
// /repos/{owner}/{repo}/actions/workflows/{workflow_id}); its State tells whether GitHub
// disabled it.
func (c *Client) Workflow(ctx context.Context, id string) (*Workflow, error) {
	rp, err := c.repoPath()
	if err != nil {
		return nil, err
	}
	wid, err := workflowID(id)
	if err != nil {
		return nil, err
	}
	opText := fmt.Sprintf("read workflow %s of %s", id, c.repoName())
	ans, err := c.call(ctx, answerInfo{op: opGetWorkflow, repo: c.repoName(), workflow: id}, opText, http.MethodGet, rp+"/actions/workflows/"+wid, nil)
	if err != nil {
		return nil, err
	}
	var w Workflow
	if err := json.Unmarshal(ans.body, &w); err != nil || w.ID == 0 {
		return nil, &APIError{Op: opText, Method: http.MethodGet, Path: rp + "/actions/workflows/" + wid, Status: ans.status,
			RequestID: ans.header.Get("X-GitHub-Request-Id"), Kind: ErrUnavailable, Err: fmt.Errorf("unexpected answer: not a workflow")}
	}
	return &w, nil
}

// EnableWorkflow enables a workflow, by numeric id or file name, and sets its state to
// active (PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable; a classic
// token needs the "repo" scope, a fine-grained one "Actions: Read and write", a
// GITHUB_TOKEN `permissions: actions: write`).
func (c *Client) EnableWorkflow(ctx context.Context, id string) error {
	rp, err := c.repoPath()
	if err != nil {
		return err
	}
	wid, err := workflowID(id)
	if err != nil {
		return err
	}
	opText := fmt.Sprintf("enable workflow %s of %s", id, c.repoName())
	_, err = c.call(ctx, answerInfo{op: opEnableWorkflow, repo: c.repoName(), workflow: id}, opText, http.MethodPut, rp+"/actions/workflows/"+wid+"/enable", nil)
	return err
}

// WorkflowFileFromRef returns the workflow's file name from GITHUB_WORKFLOW_REF
// ("owner/repo/.github/workflows/e5renew.yml@refs/heads/main" gives "e5renew.yml"), so
// a run can find its own workflow.
func WorkflowFileFromRef(ref string) (string, error) {
	p, _, _ := strings.Cut(strings.TrimSpace(ref), "@")
	i := strings.Index(p, "/.github/workflows/")
	if i < 0 {
		return "", fmt.Errorf("%w: GITHUB_WORKFLOW_REF %q does not name a workflow file (expected owner/repo/.github/workflows/FILE@REF)", ErrConfig, ref)
	}
	file := p[i+len("/.github/workflows/"):]
	if file == "" || strings.Contains(file, "/") {
		return "", fmt.Errorf("%w: GITHUB_WORKFLOW_REF %q does not name a workflow file (expected owner/repo/.github/workflows/FILE@REF)", ErrConfig, ref)
	}
	return file, nil
}
