package config

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/e5renew/e5renew/internal/schedule"
)

// Marshal renders the configuration as YAML with secrets in clear text (it is meant for
// files the owner keeps private, such as the emulator's --write-config output). header is
// written as a comment block at the top.
func (c *Config) Marshal(header string) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(parent *yaml.Node, key string, val *yaml.Node, comment string) {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: key, HeadComment: comment}
		parent.Content = append(parent.Content, k, val)
	}
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: "!!str"} }
	if c.Cloud != "" {
		add(root, "cloud", str(c.Cloud), "")
	}
	if c.Endpoints.Authority != "" || c.Endpoints.Graph != "" {
		ep := &yaml.Node{Kind: yaml.MappingNode}
		if c.Endpoints.Authority != "" {
			add(ep, "authority", str(c.Endpoints.Authority), "")
		}
		if c.Endpoints.Graph != "" {
			add(ep, "graph", str(c.Endpoints.Graph), "")
		}
		add(root, "endpoints", ep, "Where to sign in and where Microsoft Graph is (here: the emulated tenant).")
	}
	if c.Language != "" {
		add(root, "language", str(c.Language), "")
	}
	if c.DataDir != "" {
		add(root, "data_dir", str(c.DataDir), "")
	}
	seq := func(list []string) *yaml.Node {
		sq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range list {
			sq.Content = append(sq.Content, str(s))
		}
		return sq
	}
	activities := func(a *Activities) *yaml.Node {
		m := &yaml.Node{Kind: yaml.MappingNode}
		if a.Always != nil {
			add(m, "always", seq(a.Always), "")
		}
		if a.Random != "" {
			add(m, "random", str(a.Random), "")
		}
		if a.Include != nil {
			add(m, "include", seq(a.Include), "")
		}
		if a.Exclude != nil {
			add(m, "exclude", seq(a.Exclude), "")
		}
		return m
	}
	schedNode := func(sc *schedule.Config) *yaml.Node {
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, kv := range [][2]string{{"interval", sc.Interval}, {"hours", sc.Hours}, {"days", sc.Days},
			{"timezone", sc.TimeZone}, {"cron", sc.Cron}, {"spread", sc.Spread}} {
			if kv[1] != "" {
				add(m, kv[0], str(kv[1]), "")
			}
		}
		return m
	}
	tuning := func(m *yaml.Node, a *Activities, pause, tz string, sc *schedule.Config) {
		if a != nil {
			if n := activities(a); len(n.Content) > 0 {
				add(m, "activities", n, "")
			}
		}
		if pause != "" {
			add(m, "pause", str(pause), "")
		}
		if tz != "" {
			add(m, "timezone", str(tz), "")
		}
		if sc != nil {
			if n := schedNode(sc); len(n.Content) > 0 {
				add(m, "schedule", n, "")
			}
		}
	}
	def := &yaml.Node{Kind: yaml.MappingNode}
	tuning(def, &c.Defaults.Activities, c.Defaults.Pause, c.Defaults.TimeZone, &c.Defaults.Schedule)
	if len(def.Content) > 0 {
		add(root, "defaults", def, "")
	}
	accts := &yaml.Node{Kind: yaml.SequenceNode}
	for _, a := range c.Accounts {
		if a.Managed {
			continue // kept encrypted in the state store, never written out
		}
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, kv := range [][2]string{
			{"name", a.Name}, {"type", a.Type}, {"tenant", a.Tenant}, {"client_id", a.ClientID},
			{"client_secret", a.ClientSecret.Reveal()}, {"refresh_token", a.RefreshToken.Reveal()},
			{"username", a.Username}, {"password", a.Password.Reveal()}, {"user", a.User},
		} {
			if kv[1] != "" {
				add(m, kv[0], str(kv[1]), "")
			}
		}
		if len(a.Scopes) > 0 {
			add(m, "scopes", seq(a.Scopes), "")
		}
		tuning(m, a.Activities, a.Pause, a.TimeZone, a.Schedule)
		if a.Disabled {
			add(m, "disabled", &yaml.Node{Kind: yaml.ScalarNode, Value: "true", Tag: "!!bool"}, "")
		}
		if len(m.Content) > 0 && a.Comment != "" {
			m.Content[0].HeadComment = a.Comment
		}
		accts.Content = append(accts.Content, m)
	}
	add(root, "accounts", accts, "")
	var buf bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		if header != "" {
			fmt.Fprintf(&buf, "# %s\n", l)
		}
	}
	if header != "" {
		buf.WriteString("\n")
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	_ = enc.Close()
	return buf.Bytes(), nil
}
