package sysservice

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// uidSubst stands for the user's id in commands printed for another system.
const uidSubst = "$(id -u)"

// launchdDomain is the launchd domain the job lives in: the user's GUI session for an
// agent (it runs while the user is logged in), the system for a daemon (it runs from boot).
func (t Target) launchdDomain() string {
	if t.Scope == System {
		return "system"
	}
	if t.UID < 0 {
		return "gui/" + uidSubst
	}
	return "gui/" + strconv.Itoa(t.UID)
}

// launchdTarget is the job's service target: <domain>/<label>.
func (t Target) launchdTarget() string { return t.launchdDomain() + "/" + t.Label() }

// launchdPlist renders the launchd property list: run `serve -c <config>` from the
// configuration's directory at load (login for an agent, boot for a daemon), restart it
// when it fails, give it the time to stop it needs, and append its output to a log file,
// where the dashboard password of the first start is.
func (s Spec) launchdPlist() string {
	var b bytes.Buffer
	str := func(v string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(v)) // writes to a buffer: no error
		return "<string>" + e.String() + "</string>"
	}
	key := func(k string) { fmt.Fprintf(&b, "\t<key>%s</key>\n", k) }
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	comment := []string{
		"e5renew: keeps Microsoft 365 E5 developer subscriptions active.",
		Marker + "; `e5renew service print` shows it without installing.",
		"To install it by hand, save it as " + s.UnitPath() + ", then run:",
		"  launchctl bootstrap " + s.launchdDomain() + " " + ShellQuote(s.UnitPath()),
		"Logs, and the dashboard password printed once on the first start: " + s.LogPath(),
		"Stop: launchctl bootout " + s.launchdTarget(),
	}
	b.WriteString("<!--\n")
	for _, c := range comment {
		b.WriteString("  " + xmlComment(c) + "\n")
	}
	b.WriteString("-->\n")
	b.WriteString(`<plist version="1.0">` + "\n<dict>\n")
	key("Label")
	b.WriteString("\t" + str(s.Label()) + "\n")
	key("ProgramArguments")
	b.WriteString("\t<array>\n")
	for _, a := range []string{s.Binary, "serve", "-c", s.Config} {
		b.WriteString("\t\t" + str(a) + "\n")
	}
	b.WriteString("\t</array>\n")
	key("WorkingDirectory")
	b.WriteString("\t" + str(s.WorkDir()) + "\n")
	if s.RunAs != "" {
		key("UserName")
		b.WriteString("\t" + str(s.RunAs) + "\n")
	}
	if s.RunGroup != "" {
		key("GroupName")
		b.WriteString("\t" + str(s.RunGroup) + "\n")
	}
	key("RunAtLoad")
	b.WriteString("\t<true/>\n")
	// Restart when it fails (like systemd's Restart=on-failure); a graceful stop (exit 0)
	// stays stopped.
	key("KeepAlive")
	b.WriteString("\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n")
	key("ThrottleInterval")
	b.WriteString("\t<integer>10</integer>\n")
	key("ExitTimeOut")
	fmt.Fprintf(&b, "\t<integer>%d</integer>\n", int(s.StopTimeout.Seconds()))
	key("StandardOutPath")
	b.WriteString("\t" + str(s.LogPath()) + "\n")
	key("StandardErrorPath")
	b.WriteString("\t" + str(s.LogPath()) + "\n")
	b.WriteString("</dict>\n</plist>\n")
	return b.String()
}

// xmlComment makes text safe inside an XML comment, which may not contain "--".
func xmlComment(s string) string {
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "- -")
	}
	return s
}
