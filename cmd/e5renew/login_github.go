package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/e5renew/e5renew/internal/ghactions"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
)

var loginGitHubTexts = struct {
	access, saved, also, next i18n.Text
}{
	access: i18n.Text{EN: "GitHub: %s", ZH: "GitHub：%s"},
	saved:  i18n.Text{EN: "Saved the refresh token to the secret %s of %s (%s); it was not shown or kept here.", ZH: "已将刷新令牌保存到 %[2]s 的 secret %[1]s（%[3]s）；未显示，也未保存在本机。"},
	also:   i18n.Text{EN: "Also saved: %s.", ZH: "同时保存：%s。"},
	next:   i18n.Text{EN: "The next run of the workflow uses it (or start one: Actions → e5renew → Run workflow).", ZH: "工作流的下一次运行会使用它（也可立即运行：Actions → e5renew → Run workflow）。"},
}

var reTokenSecret = regexp.MustCompile(`^MS_TOKEN(_[0-9]{1,3})?$`)

// githubTarget is the secret `login --github-secret` saves the refresh token to.
type githubTarget struct {
	c    *ghactions.Client
	name string
}

// newGitHubTarget checks, before the sign-in, that the token in GH_TOKEN may write the
// repository's secrets, so nobody signs in for nothing.
func newGitHubTarget(ctx context.Context, d *deps, name, repo string) (*githubTarget, error) {
	name = strings.ToUpper(strings.TrimSpace(name))
	if err := ghactions.ValidateSecretName(name); err != nil {
		return nil, fmt.Errorf("--github-secret: %w", err)
	}
	tok, _ := d.getenv("GH_TOKEN")
	getenv := d.getenv
	if repo != "" {
		getenv = func(k string) (string, bool) {
			if k == "GITHUB_REPOSITORY" {
				return repo, true
			}
			return d.getenv(k)
		}
	}
	if v, _ := getenv("GITHUB_REPOSITORY"); strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("--github-secret needs the repository: add --github-repo owner/name")
	}
	c, err := ghactions.FromEnv(getenv, secret.String(tok))
	if err != nil {
		return nil, err
	}
	c.Logger = d.logger
	access, err := c.CheckAccess(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(d.stdout, loginGitHubTexts.access.In(d.lang, access.Summary()))
	return &githubTarget{c: c, name: name}, nil
}

// save writes the refresh token, and for an Office365Auto-style name (MS_TOKEN_2) the
// client id and secret under the matching names.
func (g *githubTarget) save(ctx context.Context, d *deps, rt secret.String, clientID string, clientSecret secret.String) error {
	how, err := g.c.PutSecret(ctx, g.name, rt)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.stdout, loginGitHubTexts.saved.In(d.lang, g.name, g.c.Repo, how))
	if m := reTokenSecret.FindStringSubmatch(g.name); m != nil {
		var also []string
		pairs := [][2]string{{"CLIENT_ID" + m[1], clientID}, {"CLIENT_SECRET" + m[1], clientSecret.Reveal()}}
		for _, p := range pairs {
			if p[1] == "" {
				continue
			}
			if _, err := g.c.PutSecret(ctx, p[0], secret.String(p[1])); err != nil {
				return err
			}
			also = append(also, p[0])
		}
		if len(also) > 0 {
			fmt.Fprintln(d.stdout, loginGitHubTexts.also.In(d.lang, strings.Join(also, ", ")))
		}
	}
	fmt.Fprintln(d.stdout, loginGitHubTexts.next.In(d.lang))
	return nil
}
