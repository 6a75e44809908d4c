// Package channels is the registry of notification channel types: the name used in the
// configuration (type: telegram), a fresh Config to decode into, and its constructor.
package channels

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/bark"
	"github.com/e5renew/e5renew/internal/notify/dingtalk"
	"github.com/e5renew/e5renew/internal/notify/discord"
	"github.com/e5renew/e5renew/internal/notify/email"
	"github.com/e5renew/e5renew/internal/notify/feishu"
	"github.com/e5renew/e5renew/internal/notify/pushplus"
	"github.com/e5renew/e5renew/internal/notify/serverchan"
	"github.com/e5renew/e5renew/internal/notify/slack"
	"github.com/e5renew/e5renew/internal/notify/telegram"
	"github.com/e5renew/e5renew/internal/notify/webhook"
	"github.com/e5renew/e5renew/internal/notify/wecomapp"
	"github.com/e5renew/e5renew/internal/notify/wecomrobot"
	"github.com/e5renew/e5renew/internal/notify/wxpusher"
)

// Settings is a channel's configuration: a pointer to one of the channel packages' Config.
type Settings interface {
	Validate() error
}

// Type is one kind of channel.
type Type struct {
	Name string
	// Doc says in a few words what it is (for error messages and docs).
	Doc string
	// New returns an empty Config to decode into (a pointer).
	New func() Settings
	// Build makes the notifier of a decoded Config.
	Build func(s Settings, hc *http.Client) (notify.Notifier, error)
}

func entry[C any, P interface {
	*C
	Settings
}](name, doc string, build func(C, *http.Client) (notify.Notifier, error)) Type {
	return Type{
		Name: name, Doc: doc,
		New: func() Settings { return P(new(C)) },
		Build: func(s Settings, hc *http.Client) (notify.Notifier, error) {
			p, ok := s.(P)
			if !ok {
				return nil, fmt.Errorf("notifications: a %T is not %s settings", s, name)
			}
			return build(*p, hc)
		},
	}
}

var types = []Type{
	entry[telegram.Config](telegram.Type, "Telegram bot", telegram.New),
	entry[wecomrobot.Config](wecomrobot.Type, "WeChat Work group robot (企业微信群机器人)", wecomrobot.New),
	entry[wecomapp.Config](wecomapp.Type, "WeChat Work app (企业微信应用)", wecomapp.New),
	entry[dingtalk.Config](dingtalk.Type, "DingTalk robot (钉钉)", dingtalk.New),
	entry[feishu.Config](feishu.Type, "Feishu / Lark robot (飞书)", feishu.New),
	entry[bark.Config](bark.Type, "Bark (iOS)", bark.New),
	entry[serverchan.Config](serverchan.Type, "ServerChan (Server酱)", serverchan.New),
	entry[pushplus.Config](pushplus.Type, "PushPlus (推送加)", pushplus.New),
	entry[wxpusher.Config](wxpusher.Type, "WxPusher", wxpusher.New),
	entry[discord.Config](discord.Type, "Discord webhook", discord.New),
	entry[slack.Config](slack.Type, "Slack incoming webhook", slack.New),
	entry[email.Config](email.Type, "email over SMTP", email.New),
	entry[webhook.Config](webhook.Type, "any HTTP endpoint with a templated body", webhook.New),
}

// Types returns every channel type, in a stable order.
func Types() []Type { return types }

// Names returns the type names, sorted.
func Names() []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = t.Name
	}
	sort.Strings(out)
	return out
}

// Lookup finds a type by name (case-insensitive).
func Lookup(name string) (Type, bool) {
	for _, t := range types {
		if strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return Type{}, false
}
