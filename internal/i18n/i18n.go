// Package i18n holds e5renew's user-facing texts in English and Chinese.
package i18n

import (
	"fmt"
	"os"
	"strings"
)

// Lang is a message language.
type Lang string

// The languages e5renew speaks.
const (
	EN Lang = "en"
	ZH Lang = "zh"
)

// Text is one message in both languages; format verbs are allowed.
type Text struct {
	EN string
	ZH string
}

// In returns the text in lang (English for anything that is not Chinese).
func (t Text) In(lang Lang, args ...any) string {
	s := t.EN
	if lang == ZH && t.ZH != "" {
		s = t.ZH
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Both returns "english / 中文" for places that show one line to everyone (logs, errors).
func (t Text) Both(args ...any) string {
	return t.In(EN, args...) + " / " + t.In(ZH, args...)
}

// Parse reads a language setting: "zh", "zh-CN", "zh_TW.UTF-8", "cn" are Chinese; "en..." is
// English; anything else is an error.
func Parse(s string) (Lang, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	switch {
	case l == "":
		return "", nil
	case strings.HasPrefix(l, "zh") || l == "cn" || l == "chinese" || l == "中文":
		return ZH, nil
	case strings.HasPrefix(l, "en") || l == "english":
		return EN, nil
	}
	return "", fmt.Errorf("unknown language %q: use zh or en", s)
}

// FromEnv picks the language from E5RENEW_LANG, then LC_ALL, LC_MESSAGES and LANG; English
// when none says Chinese.
func FromEnv() Lang {
	for _, k := range []string{"E5RENEW_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if l, err := Parse(os.Getenv(k)); err == nil && l != "" {
			return l
		}
	}
	return EN
}
