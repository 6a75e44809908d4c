// Package email sends notifications by SMTP (net/smtp): a text/plain UTF-8 message with a
// Q-encoded subject, over STARTTLS (port 587), implicit TLS (port 465) or, only for a relay
// on this machine, no TLS. Credentials are never sent without TLS.
//
// AUTH uses PLAIN when the server offers it, else LOGIN (smtp.office365.com and some
// Chinese providers offer only LOGIN). Providers such as QQ Mail and 163 need an
// authorization code (授权码) as the password, not the account's password.
package email

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

// Type is the channel type.
const Type = "email"

// TLS modes.
const (
	StartTLS = "starttls" // plain connection upgraded with STARTTLS (default; port 587)
	TLS      = "tls"      // implicit TLS from the first byte (default for port 465)
	NoTLS    = "none"     // no encryption: only for a relay on this machine, without AUTH
)

// maxBody bounds the body (in bytes before encoding); notifications are short.
const maxBody = 256 << 10

// Config configures an email channel.
type Config struct {
	// Name is the channel's unique name (default "email").
	Name string `yaml:"name"`
	// Host is the SMTP server (smtp.qq.com, smtp.office365.com, smtp.gmail.com, ...).
	Host string `yaml:"host"`
	// Port is the SMTP port: 587 (STARTTLS, default) or 465 (implicit TLS).
	Port int `yaml:"port"`
	// Username and Password authenticate (optional for a local relay). Password is often
	// an app password or authorization code (授权码).
	Username string        `yaml:"username"`
	Password secret.String `yaml:"password"`
	// From is the sender, "e5renew <e5@example.com>" or a bare address.
	From string `yaml:"from"`
	// To are the recipients.
	To []string `yaml:"to"`
	// TLS is "starttls" (default, and for port 587), "tls" (default for port 465) or
	// "none" (only for a relay on localhost, without credentials).
	TLS string `yaml:"tls"`
	// InsecureSkipVerify accepts any server certificate. Leave it false: it lets anyone on
	// the path read the password.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// effective returns c with the TLS mode and port defaulted.
func (c Config) effective() Config {
	c.Host = strings.TrimSpace(c.Host)
	if c.TLS == "" {
		if c.Port == 465 {
			c.TLS = TLS
		} else {
			c.TLS = StartTLS
		}
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLS:
			c.Port = 465
		case NoTLS:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Name == "" {
		c.Name = Type
	}
	return c
}

// Validate reports every missing or malformed field by its yaml key.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("email: "+format, a...)) }
	e := c.effective()
	switch {
	case e.Host == "":
		bad("host is required: your provider's SMTP server, e.g. smtp.qq.com, smtp.163.com, smtp.office365.com or smtp.gmail.com")
	case strings.Contains(e.Host, "://") || strings.ContainsAny(e.Host, "/ \t") || (strings.Count(e.Host, ":") == 1):
		bad("host %q is malformed: give only the server name (put the port in port)", e.Host)
	}
	if e.Port < 1 || e.Port > 65535 {
		bad("port %d is malformed: use 587 (STARTTLS) or 465 (TLS)", c.Port)
	}
	switch e.TLS {
	case StartTLS, TLS:
	case NoTLS:
		if !isLocal(e.Host) {
			bad("tls \"none\" is only allowed for a relay on this machine (localhost): use \"starttls\" (port 587) or \"tls\" (port 465)")
		}
		if e.Username != "" || !e.Password.IsZero() {
			bad("tls \"none\" would send the username and password unencrypted: use \"starttls\" or \"tls\", or remove the credentials for a local relay")
		}
	default:
		bad("tls %q is not supported: use \"starttls\" (port 587), \"tls\" (port 465) or \"none\" (local relay only)", c.TLS)
	}
	if e.Username != "" && e.Password.IsZero() {
		bad("password is required with username: the account's SMTP password, app password or authorization code (授权码)")
	}
	if e.Username == "" && !e.Password.IsZero() {
		bad("username is required with password: usually your full email address")
	}
	if strings.ContainsAny(e.Username, "\r\n\x00") {
		bad("username is malformed: one line")
	}
	if strings.TrimSpace(e.From) == "" {
		bad("from is required: the sender address, e.g. \"e5renew <you@example.com>\" (most servers require your own address)")
	} else if _, err := parseAddress(e.From); err != nil {
		bad("from %q is malformed: use an address such as you@example.com or \"e5renew <you@example.com>\"", e.From)
	}
	if len(e.To) == 0 {
		bad("to is required: a list of recipient addresses, e.g. [you@example.com]")
	}
	for i, t := range e.To {
		if _, err := parseAddress(t); err != nil {
			bad("to[%d] %q is malformed: use one address per list item, e.g. you@example.com", i, t)
		}
	}
	return errors.Join(errs...)
}

func parseAddress(s string) (*mail.Address, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(a.Address, "\r\n<> ") || !strings.Contains(a.Address, "@") {
		return nil, errors.New("bad address")
	}
	return a, nil
}

func isLocal(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

type notifier struct {
	c    Config
	from *mail.Address
	to   []*mail.Address
	now  func() time.Time
	// rootCAs, when set, replaces the system roots (tests).
	rootCAs *x509.CertPool
	// timeout bounds a whole delivery when the context has no deadline.
	timeout time.Duration
}

var _ notify.Notifier = (*notifier)(nil)

// New returns a notifier for c. SMTP does not use an HTTP client; hc is accepted for a
// uniform constructor and ignored.
func New(c Config, _ *http.Client) (notify.Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.effective()
	n := &notifier{c: c, now: time.Now, timeout: time.Minute}
	n.from, _ = parseAddress(c.From)
	for _, t := range c.To {
		a, _ := parseAddress(t)
		n.to = append(n.to, a)
	}
	return n, nil
}

func (n *notifier) Name() string { return n.c.Name }
func (n *notifier) Type() string { return Type }

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	msg, err := n.compose(m)
	if err == nil {
		err = n.deliver(ctx, msg)
	}
	if err == nil {
		return nil
	}
	text := err.Error()
	if p := n.c.Password.Reveal(); p != "" {
		text = strings.ReplaceAll(text, p, "[redacted]")
	}
	return &notify.Error{Channel: n.c.Name, Err: errors.New(text)}
}

func (n *notifier) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName:         strings.Trim(n.c.Host, "[]"),
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: n.c.InsecureSkipVerify,
		RootCAs:            n.rootCAs,
	}
}

func (n *notifier) deliver(ctx context.Context, msg []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.timeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	addr := net.JoinHostPort(strings.Trim(n.c.Host, "[]"), strconv.Itoa(n.c.Port))
	dialer := &net.Dialer{Timeout: 20 * time.Second}
	var conn net.Conn
	var err error
	if n.c.TLS == TLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: n.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, n.c.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("%s: greeting: %w", addr, ctxErr(ctx, err))
	}
	defer c.Close()

	if n.c.TLS == StartTLS {
		ok, _ := c.Extension("STARTTLS")
		if !ok {
			return fmt.Errorf("%s does not offer STARTTLS: refusing to send without encryption (for port 465 set tls: \"tls\")", addr)
		}
		if err := c.StartTLS(n.tlsConfig()); err != nil {
			return fmt.Errorf("%s: STARTTLS: %w", addr, ctxErr(ctx, err))
		}
	}
	if n.c.Username != "" {
		if _, isTLS := c.TLSConnectionState(); !isTLS {
			return errors.New("refusing to send credentials over an unencrypted connection")
		}
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return fmt.Errorf("%s does not offer AUTH: remove username and password, or use the provider's submission port", addr)
		}
		var a smtp.Auth
		switch {
		case hasWord(mechs, "PLAIN"):
			a = smtp.PlainAuth("", n.c.Username, n.c.Password.Reveal(), n.c.Host)
		case hasWord(mechs, "LOGIN"):
			a = &loginAuth{user: n.c.Username, pass: n.c.Password.Reveal(), host: n.c.Host}
		default:
			return fmt.Errorf("%s offers AUTH %s but not PLAIN or LOGIN", addr, mechs)
		}
		if err := c.Auth(a); err != nil {
			return fmt.Errorf("%s: AUTH as %s: %w", addr, n.c.Username, ctxErr(ctx, err))
		}
	}
	if err := c.Mail(n.from.Address); err != nil {
		return fmt.Errorf("%s: MAIL FROM <%s>: %w", addr, n.from.Address, ctxErr(ctx, err))
	}
	for _, t := range n.to {
		if err := c.Rcpt(t.Address); err != nil {
			return fmt.Errorf("%s: RCPT TO <%s>: %w", addr, t.Address, ctxErr(ctx, err))
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("%s: DATA: %w", addr, ctxErr(ctx, err))
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("%s: DATA: %w", addr, ctxErr(ctx, err))
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: message refused: %w", addr, ctxErr(ctx, err))
	}
	_ = c.Quit() // the message is accepted; a failed QUIT does not matter
	return nil
}

// ctxErr prefers the context's error (timeout, cancel) to the closed-connection error it
// causes.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}

// loginAuth is the LOGIN mechanism (not in net/smtp), refused without TLS.
type loginAuth struct {
	user, pass, host string
	step             int
}

func (a *loginAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS {
		return "", nil, errors.New("refusing to send credentials over an unencrypted connection")
	}
	if s.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch p := strings.ToLower(strings.TrimSpace(string(fromServer))); {
	case strings.HasPrefix(p, "user"):
		return []byte(a.user), nil
	case strings.HasPrefix(p, "pass"):
		return []byte(a.pass), nil
	case a.step == 1:
		return []byte(a.user), nil
	case a.step == 2:
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}

// compose builds the message: headers (From, To, Subject, Date, Message-ID, MIME) and a
// text/plain UTF-8 body in quoted-printable, or base64 when mostly non-ASCII (Chinese).
func (n *notifier) compose(m notify.Message) ([]byte, error) {
	now := n.now()
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	domain := n.from.Address[strings.LastIndexByte(n.from.Address, '@')+1:]

	var b bytes.Buffer
	header := func(k, v string) {
		sep := ": "
		if strings.HasPrefix(v, "\r\n") {
			sep = ":"
		}
		b.WriteString(k + sep + v + "\r\n")
	}
	header("From", n.from.String())
	to := make([]string, len(n.to))
	for i, a := range n.to {
		to[i] = a.String()
	}
	header("To", strings.Join(to, ",\r\n "))
	header("Subject", subject(m.Title))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"."+strconv.FormatInt(now.Unix(), 36)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Auto-Submitted", "auto-generated")

	body := bodyText(m)
	if nonASCII(body)*3 > len(body) {
		header("Content-Transfer-Encoding", "base64")
		b.WriteString("\r\n")
		enc := base64.StdEncoding.EncodeToString([]byte(body))
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	} else {
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		w := quotedprintable.NewWriter(&b)
		if _, err := w.Write([]byte(body)); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

// subject Q-encodes the title (UTF-8) as one logical line, folded between encoded words
// (and before the first when "Subject: " and it would pass 78 characters).
func subject(title string) string {
	title = notify.OneLine(title)
	s := mime.QEncoding.Encode("UTF-8", title)
	if s == title { // plain ASCII: fold at spaces
		var b strings.Builder
		line := len("Subject: ")
		for i, w := range strings.Split(title, " ") {
			if i > 0 {
				if line+1+len(w) > 78 {
					b.WriteString("\r\n")
					line = 0
				}
				b.WriteByte(' ')
				line++
			}
			b.WriteString(w)
			line += len(w)
		}
		return b.String()
	}
	s = strings.ReplaceAll(s, "?= =?", "?=\r\n =?")
	first, _, _ := strings.Cut(s, "\r\n")
	if len("Subject: ")+len(first) > 78 {
		s = "\r\n " + s
	}
	return s
}

// bodyText is the text, then the link, with CRLF line ends; the title is the subject.
func bodyText(m notify.Message) string {
	text := m.Text
	if text == "" {
		text = m.Title
	}
	if len(text) > maxBody {
		cut := maxBody
		for cut > 0 && text[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		text = text[:cut] + "…"
	}
	if m.URL != "" {
		text += "\n\n" + m.URL
	}
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), maxBody+4096)
	for sc.Scan() {
		b.WriteString(strings.TrimRight(sc.Text(), "\r") + "\r\n")
	}
	return b.String()
}

func nonASCII(s string) int {
	c := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			c++
		}
	}
	return c
}
