package ftpserver_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/07-ftp/internal/bintest"

	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/ftpserver"
	"github.com/gosockets/tutorial/07-ftp/store"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
)

// testTimeout bounds every read, write, dial and client program of the
// tests, so that a broken test fails in seconds.
const testTimeout = 20 * time.Second

type testServer struct {
	srv      *ftpserver.Server
	addr     string // host:port
	host     string
	port     string
	data     string
	cert     string // PEM file of the server's certificate, if TLS
	accounts *accounts.Store
	logs     *bintest.Buffer
	done     chan error
}

// startServer serves FTP on 127.0.0.1:0 with a fresh data directory;
// withTLS gives it a certificate from tlsconf (what ftpd gencert writes).
func startServer(t *testing.T, withTLS bool, configure ...func(*ftpserver.Server)) *testServer {
	t.Helper()
	data := t.TempDir()
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{data: data, accounts: accounts.Open(data), logs: &bintest.Buffer{}, done: make(chan error, 1)}
	ts.srv = &ftpserver.Server{Store: st, Accounts: ts.accounts, Logger: slog.New(slog.NewTextHandler(ts.logs, nil)),
		Limiter: &accounts.Limiter{Base: time.Millisecond, Max: time.Millisecond}}
	if withTLS {
		dir := t.TempDir()
		ts.cert = filepath.Join(dir, "cert.pem")
		key := filepath.Join(dir, "key.pem")
		if err := tlsconf.WriteFiles(ts.cert, key, tlsconf.DefaultHosts); err != nil {
			t.Fatal(err)
		}
		if ts.srv.TLS, err = tlsconf.ServerConfig(ts.cert, key); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range configure {
		c(ts.srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	ts.host, ts.port, _ = net.SplitHostPort(ts.addr)
	go func() { ts.done <- ts.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := ts.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-ts.done
		st.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", ts.logs.String())
		}
	})
	return ts
}

func (ts *testServer) addUser(t *testing.T, name, pw string, quota int64) {
	t.Helper()
	if err := ts.accounts.Add(name, pw, quota); err != nil {
		t.Fatal(err)
	}
}

// home is the directory of name's files on disk.
func (ts *testServer) home(name string) string {
	return filepath.Join(store.UserDir(ts.data, name), "files")
}

func (ts *testServer) readFile(t *testing.T, user, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ts.home(user), filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ctl is a hand-driven control connection: the test types the commands.
type ctl struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	ts   *testServer
	tls  *tls.Config // set after AUTH TLS: data connections use it too
}

func (ts *testServer) dial(t *testing.T) *ctl {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &ctl{t: t, conn: conn, r: bufio.NewReader(conn), ts: ts}
	if code, text := c.read(); code != 220 {
		t.Fatalf("greeting %d %s", code, text)
	}
	return c
}

// read reads one reply, multi-line or not, and returns its code and text
// (the lines of a multi-line reply joined by "\n").
func (c *ctl) read() (int, string) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(testTimeout))
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading a reply: %v", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if len(line) < 4 {
		c.t.Fatalf("short reply %q", line)
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil {
		c.t.Fatalf("reply without a code: %q", line)
	}
	if line[3] != '-' {
		return code, line[4:]
	}
	text := []string{line[4:]}
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading a multi-line reply: %v", err)
		}
		l = strings.TrimRight(l, "\r\n")
		if strings.HasPrefix(l, line[:3]+" ") {
			return code, strings.Join(append(text, l[4:]), "\n")
		}
		text = append(text, l)
	}
}

func (c *ctl) send(line string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatalf("sending %q: %v", line, err)
	}
}

// cmd sends a command line and returns the reply.
func (c *ctl) cmd(line string) (int, string) {
	c.t.Helper()
	c.send(line)
	return c.read()
}

// want sends a command line and fails the test unless the reply has code.
func (c *ctl) want(line string, code int) string {
	c.t.Helper()
	got, text := c.cmd(line)
	if got != code {
		c.t.Fatalf("%s: %d %s; want %d", line, got, text, code)
	}
	return text
}

func (c *ctl) login(user, pw string) {
	c.t.Helper()
	c.want("USER "+user, 331)
	c.want("PASS "+pw, 230)
}

// secure runs AUTH TLS, PBSZ 0 and PROT P, trusting the server's
// certificate.
func (c *ctl) secure() {
	c.t.Helper()
	c.want("AUTH TLS", 234)
	c.handshake()
	c.want("PBSZ 0", 200)
	c.want("PROT P", 200)
}

// handshake runs the TLS handshake that follows 234.
func (c *ctl) handshake() {
	c.t.Helper()
	pem, err := os.ReadFile(c.ts.cert)
	if err != nil {
		c.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c.tls = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	tc := tls.Client(c.conn, c.tls)
	tc.SetDeadline(time.Now().Add(testTimeout))
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}

var epsvRe = regexp.MustCompile(`\(\|\|\|(\d+)\|\)`)

// epsv asks for a passive port and returns the address to dial.
func (c *ctl) epsv() string {
	c.t.Helper()
	text := c.want("EPSV", 229)
	m := epsvRe.FindStringSubmatch(text)
	if m == nil {
		c.t.Fatalf("EPSV reply %q", text)
	}
	return net.JoinHostPort(c.ts.host, m[1])
}

// dialData opens the data connection to addr, under TLS after secure.
func (c *ctl) dialData(addr string) net.Conn {
	c.t.Helper()
	d, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		c.t.Fatal(err)
	}
	d.SetDeadline(time.Now().Add(testTimeout))
	if c.tls != nil {
		tc := tls.Client(d, c.tls)
		if err := tc.Handshake(); err != nil {
			c.t.Fatal(err)
		}
		return tc
	}
	return d
}

// retr downloads p and returns its bytes and the final reply.
func (c *ctl) retr(p string) ([]byte, int, string) {
	c.t.Helper()
	addr := c.epsv()
	c.send("RETR " + p)
	code, text := c.read()
	if code != 150 {
		return nil, code, text
	}
	d := c.dialData(addr)
	b, err := io.ReadAll(d)
	d.Close()
	if err != nil {
		c.t.Fatalf("RETR %s: reading data: %v", p, err)
	}
	code, text = c.read()
	return b, code, text
}

// stor uploads data as p (after ALLO n when allo >= 0) and returns the
// final reply.
func (c *ctl) stor(p string, data []byte) (int, string) {
	c.t.Helper()
	addr := c.epsv()
	c.send("STOR " + p)
	code, text := c.read()
	if code != 150 {
		return code, text
	}
	d := c.dialData(addr)
	if _, err := d.Write(data); err != nil {
		c.t.Fatalf("STOR %s: writing data: %v", p, err)
	}
	if tc, ok := d.(*tls.Conn); ok {
		tc.CloseWrite()
	}
	d.Close()
	return c.read()
}

// list runs a listing command and returns its lines.
func (c *ctl) list(line string) []string {
	c.t.Helper()
	addr := c.epsv()
	c.send(line)
	if code, text := c.read(); code != 150 {
		c.t.Fatalf("%s: %d %s", line, code, text)
	}
	d := c.dialData(addr)
	b, err := io.ReadAll(d)
	d.Close()
	if err != nil {
		c.t.Fatal(err)
	}
	if code, text := c.read(); code != 226 {
		c.t.Fatalf("%s: %d %s", line, code, text)
	}
	s := strings.TrimSuffix(string(b), "\r\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\r\n")
}

func (c *ctl) String() string { return fmt.Sprintf("ctl(%s)", c.conn.LocalAddr()) }

// wantLog fails the test unless one line of the server's log holds all of
// subs.
func (ts *testServer) wantLog(t *testing.T, subs ...string) {
	t.Helper()
lines:
	for _, line := range strings.Split(ts.logs.String(), "\n") {
		for _, s := range subs {
			if !strings.Contains(line, s) {
				continue lines
			}
		}
		return
	}
	t.Errorf("no log line holds all of %q", subs)
}

// wantResumed checks in the log that a download of get and an upload of
// put were resumed at byte at: only the rest crossed the network.
func (ts *testServer) wantResumed(t *testing.T, get, put string, at int) {
	t.Helper()
	n := strconv.Itoa(at)
	ts.wantLog(t, "msg=get ", "path="+get+" ", "bytes="+n+" ", "resumed_at="+n+" ")
	ts.wantLog(t, "msg=put ", "path="+put+" ", "sent="+n+" ", "resumed_at="+n+" ")
}
