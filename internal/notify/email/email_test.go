package email

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/notify"
)

const password = "sEcReT-app-password-42"

// testCert makes a self-signed certificate for 127.0.0.1 and localhost, and a pool
// trusting it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fake smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// session is what the fake server saw on one connection.
type session struct {
	commands  []string // verbs in order (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT)
	startTLS  bool
	authMech  string
	authTLS   bool // whether AUTH came over TLS
	user      string
	pass      string
	mailFrom  string
	rcptTo    []string
	data      []byte // raw DATA lines with CRLF, dot-unstuffed
	delivered bool
}

// fakeSMTP is a small SMTP server: EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT.
type fakeSMTP struct {
	t           *testing.T
	ln          net.Listener
	cert        tls.Certificate
	implicitTLS bool
	startTLS    bool   // offer STARTTLS
	authMechs   string // offered AUTH mechanisms, "" for none
	user, pass  string // accepted credentials
	rejectRcpt  string // an address RCPT TO refuses
	silent      bool   // accept connections and never answer

	mu       sync.Mutex
	sessions []*session
	wg       sync.WaitGroup
}

func newFake(t *testing.T, f *fakeSMTP) *fakeSMTP {
	t.Helper()
	f.t = t
	if f.cert.Certificate == nil {
		f.cert, _ = testCert(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if f.implicitTLS {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{f.cert}})
	}
	f.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeSMTP) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *fakeSMTP) last() *session {
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sessions) == 0 {
		f.t.Fatal("no SMTP session")
	}
	return f.sessions[len(f.sessions)-1]
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	s := &session{}
	f.mu.Lock()
	f.sessions = append(f.sessions, s)
	f.mu.Unlock()
	if f.silent {
		io.Copy(io.Discard, conn)
		return
	}
	_, isTLS := conn.(*tls.Conn)
	r := bufio.NewReader(conn)
	w := bufio.NewWriter(conn)
	reply := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	line := func() (string, bool) {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		return strings.TrimRight(l, "\r\n"), true
	}
	reply("220 fake.test ESMTP ready")
	for {
		l, ok := line()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(l, " ")
		verb = strings.ToUpper(verb)
		s.commands = append(s.commands, verb)
		switch verb {
		case "EHLO":
			ext := []string{"fake.test greets " + arg, "8BITMIME"}
			if f.startTLS && !isTLS {
				ext = append(ext, "STARTTLS")
			}
			if f.authMechs != "" {
				ext = append(ext, "AUTH "+f.authMechs)
			}
			for i := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				ext[i] = "250" + sep + ext[i]
			}
			reply(ext...)
		case "HELO", "NOOP", "RSET":
			reply("250 OK")
		case "STARTTLS":
			if !f.startTLS || isTLS {
				reply("502 not available")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{f.cert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, isTLS, s.startTLS = tc, true, true
			r, w = bufio.NewReader(tc), bufio.NewWriter(tc)
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			s.authMech, s.authTLS = strings.ToUpper(mech), isTLS
			switch s.authMech {
			case "PLAIN":
				if initial == "" {
					reply("334 ")
					initial, _ = line()
				}
				dec, _ := base64.StdEncoding.DecodeString(initial)
				parts := strings.Split(string(dec), "\x00")
				if len(parts) == 3 {
					s.user, s.pass = parts[1], parts[2]
				}
			case "LOGIN":
				reply("334 " + base64.StdEncoding.EncodeToString([]byte("Username:")))
				u, _ := line()
				reply("334 " + base64.StdEncoding.EncodeToString([]byte("Password:")))
				p, _ := line()
				du, _ := base64.StdEncoding.DecodeString(u)
				dp, _ := base64.StdEncoding.DecodeString(p)
				s.user, s.pass = string(du), string(dp)
			default:
				reply("504 unrecognized mechanism")
				continue
			}
			if s.user == f.user && s.pass == f.pass {
				reply("235 2.7.0 Authentication successful")
			} else {
				reply("535 5.7.8 Username and Password not accepted")
			}
		case "MAIL":
			s.mailFrom = between(arg, "<", ">")
			reply("250 OK")
		case "RCPT":
			a := between(arg, "<", ">")
			if a == f.rejectRcpt {
				reply("550 5.1.1 no such user here")
				continue
			}
			s.rcptTo = append(s.rcptTo, a)
			reply("250 OK")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			var data bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			s.data, s.delivered = data.Bytes(), true
			reply("250 2.0.0 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 unknown command")
		}
	}
}

func between(s, a, b string) string {
	_, after, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(after, b)
	return v
}

var fixed = time.Date(2026, 5, 1, 16, 30, 0, 0, time.FixedZone("CST", 8*3600))

func newN(t *testing.T, c Config, roots *x509.CertPool) *notifier {
	t.Helper()
	n, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	nn := n.(*notifier)
	nn.now = func() time.Time { return fixed }
	nn.rootCAs = roots
	return nn
}

func chineseMsg() notify.Message {
	return notify.Message{
		Kind:    notify.NeedsOwner,
		Title:   "账号 alice 需要处理：刷新令牌已失效",
		Text:    "刷新令牌已失效，e5renew 无法再为该账号续订。\n请运行 e5renew login alice 重新登录。\n.以点开头的一行",
		Account: "alice",
		URL:     "https://e5.example.com/accounts/alice",
		Time:    fixed,
	}
}

// parsed checks the raw message's form and returns it parsed with the decoded body.
func parsed(t *testing.T, raw []byte) (*mail.Message, string) {
	t.Helper()
	for i, l := range strings.SplitAfter(string(raw), "\n") {
		if l == "" {
			continue
		}
		if !strings.HasSuffix(l, "\r\n") {
			t.Errorf("line %d does not end in CRLF: %q", i+1, l)
		}
		if len(l) > 78+2 {
			t.Errorf("line %d is %d bytes long: %q", i+1, len(l), l)
		}
		for _, c := range []byte(l) {
			if c >= 0x80 {
				t.Fatalf("line %d is not 7-bit: %q", i+1, l)
			}
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, raw)
	}
	var body io.Reader = msg.Body
	switch cte := msg.Header.Get("Content-Transfer-Encoding"); cte {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	default:
		t.Fatalf("Content-Transfer-Encoding = %q", cte)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("body does not decode: %v", err)
	}
	return msg, string(b)
}

func TestSTARTTLSWithPlainAuth(t *testing.T) {
	cert, roots := testCert(t)
	f := newFake(t, &fakeSMTP{cert: cert, startTLS: true, authMechs: "PLAIN LOGIN", user: "alice@example.com", pass: password})
	n := newN(t, Config{
		Host: "127.0.0.1", Port: f.port(), Username: "alice@example.com", Password: password,
		From: "E5 续订 <alice@example.com>", To: []string{"owner@example.com", "Bob <bob@example.org>"},
	}, roots)
	if n.c.TLS != StartTLS {
		t.Fatalf("default TLS mode for port %d = %q", f.port(), n.c.TLS)
	}
	m := chineseMsg()
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s := f.last()
	if got, want := strings.Join(s.commands, " "), "EHLO STARTTLS EHLO AUTH MAIL RCPT RCPT DATA QUIT"; got != want {
		t.Errorf("commands = %s, want %s", got, want)
	}
	if !s.startTLS || !s.authTLS || s.authMech != "PLAIN" || s.user != "alice@example.com" || s.pass != password {
		t.Errorf("session = startTLS %v authTLS %v mech %s user %s", s.startTLS, s.authTLS, s.authMech, s.user)
	}
	if s.mailFrom != "alice@example.com" || strings.Join(s.rcptTo, ",") != "owner@example.com,bob@example.org" {
		t.Errorf("envelope = %s → %v", s.mailFrom, s.rcptTo)
	}

	msg, body := parsed(t, s.data)
	h := msg.Header
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(h.Get("Subject")); err != nil || subj != m.Title {
		t.Errorf("Subject = %q (%q, %v), want %q", subj, h.Get("Subject"), err, m.Title)
	}
	if !strings.HasPrefix(h.Get("Subject"), "=?UTF-8?q?") {
		t.Errorf("Subject is not Q-encoded: %q", h.Get("Subject"))
	}
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil || from.Name != "E5 续订" || from.Address != "alice@example.com" {
		t.Errorf("From = %q → %v %v", h.Get("From"), from, err)
	}
	to, err := mail.ParseAddressList(h.Get("To"))
	if err != nil || len(to) != 2 || to[0].Address != "owner@example.com" || to[1].Name != "Bob" || to[1].Address != "bob@example.org" {
		t.Errorf("To = %q → %v %v", h.Get("To"), to, err)
	}
	if d := h.Get("Date"); d != "Fri, 01 May 2026 16:30:00 +0800" {
		t.Errorf("Date = %q", d)
	}
	if d, err := h.Date(); err != nil || !d.Equal(fixed) {
		t.Errorf("Date parses to %v, %v", d, err)
	}
	if id := h.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{32}\.[0-9a-z]+@example\.com>$`).MatchString(id) {
		t.Errorf("Message-ID = %q", id)
	}
	if h.Get("MIME-Version") != "1.0" || h.Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Errorf("MIME headers = %q / %q", h.Get("MIME-Version"), h.Get("Content-Type"))
	}
	if h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", h.Get("Auto-Submitted"))
	}
	if h.Get("Content-Transfer-Encoding") != "base64" {
		t.Errorf("Chinese body encoded as %q, want base64", h.Get("Content-Transfer-Encoding"))
	}
	want := "刷新令牌已失效，e5renew 无法再为该账号续订。\r\n请运行 e5renew login alice 重新登录。\r\n.以点开头的一行\r\n\r\nhttps://e5.example.com/accounts/alice\r\n"
	if body != want {
		t.Errorf("body = %q\nwant   %q", body, want)
	}
	if n.Name() != "email" || n.Type() != "email" {
		t.Errorf("Name/Type = %q/%q", n.Name(), n.Type())
	}
}

func TestImplicitTLSWithLoginAuth(t *testing.T) {
	cert, roots := testCert(t)
	f := newFake(t, &fakeSMTP{cert: cert, implicitTLS: true, authMechs: "LOGIN XOAUTH2", user: "e5@contoso.com", pass: password})
	n := newN(t, Config{
		Name: "mail", Host: "127.0.0.1", Port: f.port(), TLS: "tls", Username: "e5@contoso.com", Password: password,
		From: "e5@contoso.com", To: []string{"owner@contoso.com"},
	}, roots)
	m := notify.Message{
		Title: "Account alice needs you",
		Text:  "The refresh token expired.\nRun: e5renew login alice = now\n." + strings.Repeat(" long line", 20),
	}
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s := f.last()
	if got, want := strings.Join(s.commands, " "), "EHLO AUTH MAIL RCPT DATA QUIT"; got != want {
		t.Errorf("commands = %s, want %s", got, want)
	}
	if !s.authTLS || s.authMech != "LOGIN" || s.user != "e5@contoso.com" || s.pass != password {
		t.Errorf("auth = %s over TLS %v as %s", s.authMech, s.authTLS, s.user)
	}
	msg, body := parsed(t, s.data)
	if msg.Header.Get("Subject") != "Account alice needs you" {
		t.Errorf("Subject = %q", msg.Header.Get("Subject"))
	}
	if msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("ASCII body encoded as %q", msg.Header.Get("Content-Transfer-Encoding"))
	}
	if want := "The refresh token expired.\r\nRun: e5renew login alice = now\r\n." + strings.Repeat(" long line", 20) + "\r\n"; body != want {
		t.Errorf("body = %q\nwant   %q", body, want)
	}
}

func TestRefusesAuthWithoutTLS(t *testing.T) {
	// The server offers AUTH but not STARTTLS: the password must not be sent.
	f := newFake(t, &fakeSMTP{authMechs: "PLAIN LOGIN", user: "u@example.com", pass: password})
	n := newN(t, Config{
		Host: "127.0.0.1", Port: f.port(), Username: "u@example.com", Password: password,
		From: "u@example.com", To: []string{"o@example.com"},
	}, nil)
	err := n.Send(context.Background(), chineseMsg())
	if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") || !strings.HasPrefix(err.Error(), "email: ") {
		t.Fatalf("error = %v", err)
	}
	s := f.last()
	for _, c := range s.commands {
		if c == "AUTH" || c == "MAIL" {
			t.Errorf("client sent %s without TLS (commands %v)", c, s.commands)
		}
	}
	if s.pass != "" || strings.Contains(err.Error(), password) {
		t.Error("password leaked")
	}

	// The LOGIN mechanism refuses by itself too.
	if _, _, err := (&loginAuth{user: "u", pass: password, host: "h"}).Start(&smtpServerInfoPlain); err == nil {
		t.Error("LOGIN started without TLS")
	}
}

func TestNoTLSLocalRelay(t *testing.T) {
	f := newFake(t, &fakeSMTP{})
	n := newN(t, Config{Host: "127.0.0.1", Port: f.port(), TLS: "none", From: "e5@localhost.localdomain", To: []string{"root@localhost.localdomain"}}, nil)
	if err := n.Send(context.Background(), chineseMsg()); err != nil {
		t.Fatal(err)
	}
	s := f.last()
	if !s.delivered || s.startTLS || s.authMech != "" {
		t.Errorf("session = %+v", s)
	}
}

func TestCertificateVerification(t *testing.T) {
	f := newFake(t, &fakeSMTP{startTLS: true})
	c := Config{Host: "127.0.0.1", Port: f.port(), From: "a@example.com", To: []string{"b@example.com"}}
	err := newN(t, c, nil).Send(context.Background(), chineseMsg())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate accepted or unclear error: %v", err)
	}
	c.InsecureSkipVerify = true
	if err := newN(t, c, nil).Send(context.Background(), chineseMsg()); err != nil {
		t.Errorf("insecure_skip_verify: %v", err)
	}
}

func TestServerErrors(t *testing.T) {
	cert, roots := testCert(t)
	server := func(pass, mechs string) *fakeSMTP {
		return newFake(t, &fakeSMTP{cert: cert, startTLS: true, authMechs: mechs, user: "u@example.com", pass: pass, rejectRcpt: "nobody@example.com"})
	}
	config := func(f *fakeSMTP, to ...string) Config {
		return Config{Host: "127.0.0.1", Port: f.port(), Username: "u@example.com", Password: password, From: "u@example.com", To: to}
	}

	f := server("other", "PLAIN")
	err := newN(t, config(f, "o@example.com"), roots).Send(context.Background(), chineseMsg())
	if err == nil || !strings.Contains(err.Error(), "535") || !strings.Contains(err.Error(), "Username and Password not accepted") {
		t.Errorf("auth failure error = %v", err)
	}
	if err != nil && strings.Contains(err.Error(), password) {
		t.Errorf("error leaks the password: %v", err)
	}

	f = server(password, "PLAIN")
	err = newN(t, config(f, "o@example.com", "nobody@example.com"), roots).Send(context.Background(), chineseMsg())
	if err == nil || !strings.Contains(err.Error(), "RCPT TO <nobody@example.com>") || !strings.Contains(err.Error(), "550") {
		t.Errorf("rejected recipient error = %v", err)
	}
	if s := f.last(); s.delivered {
		t.Error("message delivered despite a refused recipient")
	}

	f = server(password, "CRAM-MD5")
	err = newN(t, config(f, "o@example.com"), roots).Send(context.Background(), chineseMsg())
	if err == nil || !strings.Contains(err.Error(), "not PLAIN or LOGIN") {
		t.Errorf("unsupported mechanism error = %v", err)
	}

	f = server(password, "")
	err = newN(t, config(f, "o@example.com"), roots).Send(context.Background(), chineseMsg())
	if err == nil || !strings.Contains(err.Error(), "does not offer AUTH") {
		t.Errorf("no AUTH error = %v", err)
	}
}

func TestContextDeadline(t *testing.T) {
	f := newFake(t, &fakeSMTP{silent: true})
	n := newN(t, Config{Host: "127.0.0.1", Port: f.port(), TLS: "none", From: "a@example.com", To: []string{"b@example.com"}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := n.Send(ctx, chineseMsg())
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("error %v after %v", err, time.Since(start))
	}
	f.ln.Close()
}

func TestLongSubjectIsFolded(t *testing.T) {
	n := newN(t, Config{Host: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com"}}, nil)
	m := chineseMsg()
	m.Title = strings.Repeat("账号需要处理 ", 20) + "\r\nBcc: evil@example.com"
	raw, err := n.compose(m)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := parsed(t, raw)
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subj != strings.Join(strings.Fields(m.Title), " ") {
		t.Errorf("Subject = %q, %v", subj, err)
	}
	if msg.Header.Get("Bcc") != "" {
		t.Error("header injection through the title")
	}
}

func TestDefaults(t *testing.T) {
	for _, tc := range []struct {
		port     int
		tls      string
		wantPort int
		wantTLS  string
	}{
		{0, "", 587, StartTLS},
		{587, "", 587, StartTLS},
		{465, "", 465, TLS},
		{0, "tls", 465, TLS},
		{25, "", 25, StartTLS},
		{0, "none", 25, NoTLS},
	} {
		e := Config{Port: tc.port, TLS: tc.tls}.effective()
		if e.Port != tc.wantPort || e.TLS != tc.wantTLS {
			t.Errorf("port %d tls %q → %d %q, want %d %q", tc.port, tc.tls, e.Port, e.TLS, tc.wantPort, tc.wantTLS)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Config{Host: "smtp.qq.com", Port: 465, Username: "12345@qq.com", Password: password, From: "12345@qq.com", To: []string{"me@example.com"}}
	with := func(f func(*Config)) Config { c := ok; c.To = append([]string(nil), ok.To...); f(&c); return c }
	cases := []struct {
		name string
		c    Config
		want []string
	}{
		{"ok", ok, nil},
		{"ok relay", Config{Host: "localhost", TLS: "none", From: "e5@host.example", To: []string{"root@host.example"}}, nil},
		{"ok relay ipv6", Config{Host: "::1", TLS: "none", From: "e5@host.example", To: []string{"root@host.example"}}, nil},
		{"missing all", Config{}, []string{"email: host is required", "from is required", "to is required"}},
		{"host with port", with(func(c *Config) { c.Host = "smtp.qq.com:465" }), []string{`host "smtp.qq.com:465" is malformed`, "port"}},
		{"host url", with(func(c *Config) { c.Host = "smtps://smtp.qq.com" }), []string{"host", "malformed"}},
		{"port", with(func(c *Config) { c.Port = 70000 }), []string{"port 70000 is malformed"}},
		{"tls mode", with(func(c *Config) { c.TLS = "ssl" }), []string{`tls "ssl" is not supported`, "starttls"}},
		{"none remote", with(func(c *Config) { c.TLS = "none"; c.Username = ""; c.Password = "" }), []string{`tls "none" is only allowed`, "localhost"}},
		{"none with credentials", Config{Host: "127.0.0.1", TLS: "none", Username: "u", Password: password, From: "a@b.example", To: []string{"c@d.example"}}, []string{"unencrypted"}},
		{"password without username", with(func(c *Config) { c.Username = "" }), []string{"username is required with password"}},
		{"username without password", with(func(c *Config) { c.Password = "" }), []string{"password is required with username", "授权码"}},
		{"from", with(func(c *Config) { c.From = "not an address" }), []string{`from "not an address" is malformed`}},
		{"to", with(func(c *Config) { c.To = []string{"a@example.com, b@example.com"} }), []string{"to[0]", "one address per list item"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error leaks the password: %q", err)
			}
			if _, nerr := New(tc.c, nil); nerr == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

var smtpServerInfoPlain = smtp.ServerInfo{Name: "h", TLS: false, Auth: []string{"LOGIN"}}

func TestLongASCIISubjectIsFolded(t *testing.T) {
	n := newN(t, Config{Host: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com"}}, nil)
	m := chineseMsg()
	m.Title = strings.TrimSpace(strings.Repeat("Account alice needs you now ", 6))
	raw, err := n.compose(m)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := parsed(t, raw)
	if got := msg.Header.Get("Subject"); got != m.Title {
		t.Errorf("Subject = %q, want %q", got, m.Title)
	}
}
