package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xdg-go/scram"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/06-concurrency/socketserver"
	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/server"
	"github.com/gosockets/tutorial/07-ftp/store"
)

const testTimeout = 10 * time.Second

// busyWait is how long a test server's put waits for another session's
// upload of the same file: long enough for a cut connection's session to
// let go, well short of testTimeout.
const busyWait = 2 * time.Second

// testServer is a running server on a loopback port with its data
// directory.
type testServer struct {
	addr  string
	data  string
	srv   *server.Server
	store *store.Store
	logs  *logWatch
	errc  chan error
	once  sync.Once
}

// startServer serves a fresh data directory on 127.0.0.1:0 until the test
// ends. A failed login does not slow the next one.
func startServer(t testing.TB, configure ...func(*server.Server)) *testServer {
	t.Helper()
	return startServerAt(t, t.TempDir(), configure...)
}

// startServerAt serves the data directory data.
func startServerAt(t testing.TB, data string, configure ...func(*server.Server)) *testServer {
	t.Helper()
	logs := &logWatch{lines: make(chan string, 4096)}
	var out io.Writer = logs
	if testing.Verbose() {
		out = io.MultiWriter(logs, os.Stderr)
	}
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{
		Store:       st,
		Accounts:    accounts.Open(data),
		Logger:      slog.New(slog.NewTextHandler(out, nil)),
		Limiter:     &accounts.Limiter{Base: time.Nanosecond, Max: time.Nanosecond},
		IdleTimeout: testTimeout,
		BusyWait:    busyWait,
	}
	for _, f := range configure {
		f(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{addr: ln.Addr().String(), data: data, srv: srv, store: st, logs: logs, errc: make(chan error, 1)}
	go func() { ts.errc <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ts.stop(t)
		st.Close()
	})
	return ts
}

// stop shuts the server down gracefully and waits until every session has
// ended, so that what they leave on disk can be checked.
func (ts *testServer) stop(t testing.TB) {
	t.Helper()
	ts.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := ts.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown() = %v", err)
		}
		if err := <-ts.errc; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
}

// usage returns what the server counts against name, read through the
// storage core as a session would.
func (ts *testServer) usage(t *testing.T, name string) store.Usage {
	t.Helper()
	h := ts.openHome(t, name)
	defer h.Close()
	return h.Usage()
}

// openHome opens name's home in the server's store, with the account's
// limits, as a session does at login.
func (ts *testServer) openHome(t *testing.T, name string) *store.Home {
	t.Helper()
	acct, err := ts.srv.Accounts.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ts.store.Home(name, store.Limits{Bytes: acct.Quota, Files: acct.MaxFiles})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// settle waits until no session of name uploads to the virtual path v,
// by taking the core's one writer slot of v (a put waits for it the same
// way) and giving it back, leaving any part file as it is.
func (ts *testServer) settle(t *testing.T, name, v string) {
	t.Helper()
	h := ts.openHome(t, name)
	defer h.Close()
	up, err := h.BeginUpload(ctxT(t), v, store.UploadOptions{Size: store.UnknownSize})
	if err != nil {
		t.Fatalf("waiting for the uploads of %s%s to end: %v", name, v, err)
	}
	up.Keep()
}

// logWatch receives the server's log lines so a test can wait for one.
// Lines beyond its buffer are dropped rather than block the server.
type logWatch struct {
	lines chan string
}

func (l *logWatch) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		select {
		case l.lines <- line:
		default:
		}
	}
	return len(p), nil
}

// wait returns the next log line that contains all of subs.
func (l *logWatch) wait(t *testing.T, subs ...string) string {
	t.Helper()
	deadline := time.After(testTimeout)
	for {
		select {
		case line := <-l.lines:
			ok := true
			for _, s := range subs {
				ok = ok && strings.Contains(line, s)
			}
			if ok {
				return line
			}
		case <-deadline:
			t.Fatalf("no log line with %q", subs)
			return ""
		}
	}
}

func (ts *testServer) addUser(t testing.TB, name, password string, quota int64) {
	t.Helper()
	if err := ts.srv.Accounts.Add(name, password, quota); err != nil {
		t.Fatalf("Add(%q) = %v", name, err)
	}
}

func (ts *testServer) login(t testing.TB, name, password string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := client.Dial(ctx, ts.addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(name, password); err != nil {
		t.Fatalf("Login(%q) = %v", name, err)
	}
	return c
}

// home returns the directory that user sees as "/".
func (ts *testServer) home(name string) string {
	return filepath.Join(store.UserDir(ts.data, name), "files")
}

// diskUsage is what the user's files and part files take, measured
// independently of the server's counter.
func (ts *testServer) diskUsage(t *testing.T, name string) int64 {
	t.Helper()
	n, _, err := store.MeasureUsage(ts.data, name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// parts lists name's part files.
func (ts *testServer) parts(t *testing.T, name string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(store.UserDir(ts.data, name), "parts"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// rawConn is a logged-in connection on which a test writes frames by hand,
// as a misbehaving client would.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func (ts *testServer) rawLogin(t *testing.T, name, password string) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(testTimeout))
	rc := &rawConn{Conn: conn, r: bufio.NewReader(conn)}
	pc := proto.NewConn(conn)
	sc, err := scram.SHA256.NewClient(name, password, "")
	if err != nil {
		t.Fatal(err)
	}
	conv := sc.NewConversation()
	msg, _ := conv.Step("")
	for _, op := range []string{proto.OpAuth, proto.OpAuthFinal} {
		if err := pc.WriteRequestBody(proto.Request{Op: op}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		resp, r, err := pc.ReadResponse()
		if err != nil || !resp.OK {
			t.Fatalf("raw login %s: %+v, %v", op, resp, err)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if msg, err = conv.Step(string(body)); err != nil {
			t.Fatal(err)
		}
	}
	return rc
}

func (rc *rawConn) send(t *testing.T, req proto.Request, body []byte) {
	t.Helper()
	if err := frame.WriteBytes(rc, req, body); err != nil {
		t.Fatalf("send %+v: %v", req, err)
	}
}

func (rc *rawConn) recv(t *testing.T) proto.Response {
	t.Helper()
	h, err := frame.ReadHeader(rc.r)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	var resp proto.Response
	if err := h.Decode(&resp); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, rc.r, h.DataSize); err != nil {
		t.Fatal(err)
	}
	return resp
}

// closedByServer reports whether the server has closed the connection:
// the next read ends (EOF or reset) before the deadline.
func (rc *rawConn) closedByServer() bool {
	rc.SetReadDeadline(time.Now().Add(testTimeout))
	_, err := io.Copy(io.Discard, rc.r)
	return err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// snapshot records every file and directory under dir, with a hash of each
// file's content, so a test can show that nothing changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fi.Mode().String() + " " + fi.ModTime().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " " + sha(b)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			desc += " -> " + target
		}
		out[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The server is a chapter 06 handler: socketserver runs one goroutine per
// connection and calls ServeConn on each.
var _ socketserver.Handler = (*server.Server)(nil)

// skipOrFail skips a test that needs what this machine lacks, except in CI,
// where .ci/run provides it and the test must run.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}
