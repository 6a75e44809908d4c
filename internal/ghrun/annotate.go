package ghrun

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/report"
	"github.com/e5renew/e5renew/internal/round"
)

// annotator writes GitHub Actions workflow commands (::error::, ::warning::), so problems
// show on the run's page, and the job summary (GITHUB_STEP_SUMMARY). Outside Actions it
// writes nothing.
type annotator struct {
	on   bool
	out  io.Writer
	summ string // the summary file
	run  string // the run's URL
}

func newAnnotator(env *Env, out io.Writer) *annotator {
	a := &annotator{on: env.Value("GITHUB_ACTIONS") == "true", out: out, summ: env.Value("GITHUB_STEP_SUMMARY")}
	server, repo, id := env.Value("GITHUB_SERVER_URL"), env.Value("GITHUB_REPOSITORY"), env.Value("GITHUB_RUN_ID")
	if server != "" && repo != "" && id != "" {
		a.run = strings.TrimRight(server, "/") + "/" + repo + "/actions/runs/" + id
	}
	return a
}

func (a *annotator) runURL() string { return a.run }

// escapeData escapes a workflow command's message; escapeProperty a property (title).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func (a *annotator) command(kind, title, msg string) {
	if a.on {
		fmt.Fprintf(a.out, "::%s title=%s::%s\n", kind, escapeProperty(title), escapeData(msg))
	}
}

func (a *annotator) error(title, msg string)   { a.command("error", title, msg) }
func (a *annotator) warning(title, msg string) { a.command("warning", title, msg) }

// summary appends a table of the rounds and the problems to the job summary.
func (a *annotator) summary(lang i18n.Lang, results []*round.Result, out *Outcome) {
	if a.summ == "" {
		return
	}
	var b strings.Builder
	b.WriteString("## e5renew\n\n")
	b.WriteString(texts.summaryHead.In(lang))
	cell := strings.NewReplacer("|", "\\|", "\n", " ")
	for _, r := range results {
		ok, failed, _ := r.Counts()
		note := ""
		if r.Verdict == round.NeedsOwner {
			note = strings.TrimSpace(r.Code + " " + r.Message)
		}
		b.WriteString(texts.summaryRow.In(lang, cell.Replace(r.Account), report.Verdict(string(r.Verdict), lang), ok, failed, cell.Replace(note)))
	}
	for _, p := range out.Problems {
		fmt.Fprintf(&b, "\n**%s**\n\n%s\n", p.Title, p.Text)
	}
	f, err := os.OpenFile(a.summ, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(b.String())
}
