package emulator

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Browser is a simulated person in a web browser completing the emulator's sign-in pages:
// enter the code (device flow), sign in with a password, approve the MFA prompt, and accept
// (or cancel) the consent page. Tests of interactive flows use it; it speaks only HTTP and
// HTML, exactly as a person's browser would.
type Browser struct {
	Client   *http.Client // nil: a client that does not follow redirects
	UPN      string
	Password string
	// ConsentForOrg ticks "Consent on behalf of your organization" when it is offered.
	ConsentForOrg bool
	// Decline presses Cancel on the consent page.
	Decline bool
}

var (
	reFlow   = regexp.MustCompile(`name="flow" value="([^"]+)"`)
	reAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	reError  = regexp.MustCompile(`id="error">([^<]*)<`)
	reStage  = regexp.MustCompile(`id="(login|approve|accept)"`)
)

func (b *Browser) client() *http.Client {
	if b.Client != nil {
		return b.Client
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Authorize opens an authorize (or admin consent) URL, signs in and answers the pages. It
// returns the URL the identity platform redirected to (with code and state, or error).
func (b *Browser) Authorize(authorizeURL string) (*url.URL, error) {
	resp, err := b.client().Get(authorizeURL)
	if err != nil {
		return nil, err
	}
	return b.walk(authorizeURL, resp)
}

// EnterDeviceCode opens the verification page at base (the emulator's URL), enters the user
// code and completes sign-in and consent.
func (b *Browser) EnterDeviceCode(verificationURI, userCode string) error {
	resp, err := b.client().PostForm(verificationURI, url.Values{"otc": {userCode}})
	if err != nil {
		return err
	}
	_, err = b.walk(verificationURI, resp)
	return err
}

func (b *Browser) walk(base string, resp *http.Response) (*url.URL, error) {
	for step := 0; step < 6; step++ {
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
			resp.Body.Close()
			return url.Parse(loc)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		page := string(body)
		if m := reError.FindStringSubmatch(page); m != nil && !strings.Contains(page, `name="flow"`) {
			return nil, errors.New(html.UnescapeString(m[1]))
		}
		if strings.Contains(page, `id="message"`) {
			if strings.Contains(page, "declined") {
				return nil, errors.New("sign-in declined")
			}
			return nil, nil // device flow finished: "You may now close this window."
		}
		if strings.Contains(page, "document.forms[0].submit()") {
			return formPostTarget(page)
		}
		fm := reFlow.FindStringSubmatch(page)
		am := reAction.FindStringSubmatch(page)
		st := reStage.FindStringSubmatch(page)
		if fm == nil || am == nil || st == nil {
			if m := reError.FindStringSubmatch(page); m != nil {
				return nil, errors.New(html.UnescapeString(m[1]))
			}
			return nil, fmt.Errorf("unexpected sign-in page (status %d)", resp.StatusCode)
		}
		if step > 0 && st[1] == "login" {
			if m := reError.FindStringSubmatch(page); m != nil {
				return nil, errors.New(html.UnescapeString(m[1]))
			}
		}
		form := url.Values{"flow": {html.UnescapeString(fm[1])}}
		switch st[1] {
		case "login":
			form.Set("action", "signin")
			form.Set("login", b.UPN)
			form.Set("passwd", b.Password)
		case "approve":
			form.Set("action", "approve")
		case "accept":
			form.Set("action", "accept")
			if b.Decline {
				form.Set("action", "cancel")
			}
			if b.ConsentForOrg {
				form.Set("consent_org", "1")
			}
		}
		target, err := url.Parse(base)
		if err != nil {
			return nil, err
		}
		action, err := target.Parse(html.UnescapeString(am[1]))
		if err != nil {
			return nil, err
		}
		resp, err = b.client().PostForm(action.String(), form)
		if err != nil {
			return nil, err
		}
	}
	return nil, errors.New("sign-in did not finish")
}

var reHidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

func formPostTarget(page string) (*url.URL, error) {
	am := reAction.FindStringSubmatch(page)
	if am == nil {
		return nil, errors.New("form_post page without a form")
	}
	u, err := url.Parse(html.UnescapeString(am[1]))
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, m := range reHidden.FindAllStringSubmatch(page, -1) {
		q.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	u.RawQuery = q.Encode()
	return u, nil
}
