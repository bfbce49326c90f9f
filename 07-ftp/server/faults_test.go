package server_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/gate"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/server"
)

// TestIdleClientIsToldAndDropped: a logged-in client that sends nothing
// for the idle timeout gets a "timeout" reply that says why, and then the
// connection is closed. The client library turns it into a lost connection.
func TestIdleClientIsToldAndDropped(t *testing.T) {
	const idle = 300 * time.Millisecond
	ts := startServer(t, func(srv *server.Server) { srv.IdleTimeout = idle })
	ts.addUser(t, "ivy", "pw", 1000)
	rc := ts.rawLogin(t, "ivy", "pw")
	resp := rc.recv(t) // nothing sent: the next frame is the server's notice
	if resp.Code != proto.CodeTimeout || resp.Error != "the session was idle for 300ms and is closed" {
		t.Errorf("idle notice = %+v", resp)
	}
	if !rc.closedByServer() {
		t.Error("idle connection left open")
	}
	c := ts.login(t, "ivy", "pw")
	ts.logs.wait(t, "session dropped", "user=ivy") // rc's
	ts.logs.wait(t, "session dropped", "user=ivy") // c's
	_, err := c.Pwd()
	if !errors.Is(err, client.ErrConn) || !strings.Contains(err.Error(), "idle for 300ms") {
		t.Errorf("Pwd() after the idle timeout = %v; want a lost connection that says why", err)
	}
}

// TestStalledDownloadIsDropped: a client that asks for a big file and stops
// reading is dropped after the write timeout instead of holding its
// session forever. (The file goes out with sendfile, whose error reads
// "readfrom"; through TLS it would read "write".)
func TestStalledDownloadIsDropped(t *testing.T) {
	ts := startServer(t, func(srv *server.Server) { srv.WriteTimeout = 300 * time.Millisecond })
	ts.addUser(t, "stan", "pw", 64<<20)
	c := ts.login(t, "stan", "pw")
	if _, err := c.Put(writeFile(t, t.TempDir(), "big", make([]byte, 32<<20)), "big"); err != nil {
		t.Fatal(err)
	}
	rc := ts.rawLogin(t, "stan", "pw")
	if tcp, ok := rc.Conn.(*net.TCPConn); ok {
		tcp.SetReadBuffer(4 << 10)
	}
	rc.send(t, proto.Request{Op: proto.OpGet, Path: "big"}, nil)
	ts.logs.wait(t, "session dropped", "user=stan", "get /big: ", "i/o timeout")
}

// TestMaxSessionsPerUser: the session over the per-user limit gets "server
// busy", at once; other users are not affected, and a session that ends
// frees its slot.
func TestMaxSessionsPerUser(t *testing.T) {
	ts := startServer(t, func(srv *server.Server) { srv.Gate = &gate.Gate{MaxUserSessions: 2} })
	ts.addUser(t, "max", "pw", 1000)
	ts.addUser(t, "other", "pw", 1000)
	first := ts.login(t, "max", "pw")
	ts.login(t, "max", "pw")
	c, err := client.Dial(ctxT(t), ts.addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	err = c.Login("max", "pw")
	var pe *proto.Error
	if !errors.As(err, &pe) || pe.Code != proto.CodeBusy || pe.Msg != "server busy: max already has 2 sessions, the most allowed; try again later" {
		t.Fatalf("third login = %v; want server busy", err)
	}
	ts.login(t, "other", "pw")
	first.Close()
	ts.logs.wait(t, "session ended", "user=max")
	ts.login(t, "max", "pw")
}

// TestGracefulShutdownLetsTransferFinish: Shutdown stops new connections
// at once, but an upload in progress may finish within the grace period,
// and is stored.
func TestGracefulShutdownLetsTransferFinish(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "gail", "pw", 1<<20)
	data := randomBytes(t, 100_000)
	rc := ts.rawLogin(t, "gail", "pw")
	rc.send(t, proto.Request{Op: proto.OpPut, Path: "g", Size: int64(len(data))}, nil)
	if resp := rc.recv(t); !resp.OK {
		t.Fatal(resp)
	}
	hdr, _ := frame.EncodeHeader(proto.Request{Op: proto.OpData}, int64(len(data)))
	rc.Write(append(hdr, data[:50_000]...))
	idle := ts.login(t, "gail", "pw") // idle between commands: ends at once
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		shut <- ts.srv.Shutdown(ctx)
	}()
	ts.logs.wait(t, "session ended by shutdown")
	if _, err := idle.Pwd(); err == nil {
		t.Error("an idle session survived the shutdown")
	}
	if conn, err := net.DialTimeout("tcp", ts.addr, testTimeout); err == nil {
		conn.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	rc.Write(data[50_000:])
	rc.send(t, proto.Request{Op: proto.OpEnd, SHA256: sha(data)}, nil)
	if resp := rc.recv(t); !resp.OK {
		t.Errorf("upload during the grace period: %+v", resp)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown() = %v; want nil (the upload finished in time)", err)
	}
	if got, _ := os.ReadFile(filepath.Join(ts.home("gail"), "g")); !bytes.Equal(got, data) {
		t.Error("file not stored")
	}
}

// TestShutdownAfterGraceKeepsPart: an upload still running when the grace
// period ends is cut, and its part file stays for a resume.
func TestShutdownAfterGraceKeepsPart(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "hal", "pw", 1<<20)
	rc := ts.rawLogin(t, "hal", "pw")
	rc.send(t, proto.Request{Op: proto.OpPut, Path: "h", Size: 1000}, nil)
	rc.recv(t)
	hdr, _ := frame.EncodeHeader(proto.Request{Op: proto.OpData}, 1000)
	rc.Write(append(hdr, make([]byte, 400)...))
	ts.logs.wait(t, "msg=login", "user=hal")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown() = %v; want the grace period to run out", err)
	}
	line := ts.logs.wait(t, "part file kept for resume", "user=hal")
	if !strings.Contains(line, "bytes=400") {
		t.Errorf("kept part: %q; want 400 bytes", line)
	}
}

// TestStalledUploadIsDroppedAndKept: a client that stops sending in the
// middle of an upload is dropped after the idle timeout, and what it sent
// stays as a part file for a resume.
func TestStalledUploadIsDroppedAndKept(t *testing.T) {
	const idle = 300 * time.Millisecond
	ts := startServer(t, func(srv *server.Server) { srv.IdleTimeout = idle })
	ts.addUser(t, "sue", "pw", 1<<20)
	rc := ts.rawLogin(t, "sue", "pw")
	rc.send(t, proto.Request{Op: proto.OpPut, Path: "s", Size: 1000}, nil)
	rc.recv(t)
	hdr, _ := frame.EncodeHeader(proto.Request{Op: proto.OpData}, 1000)
	rc.Write(append(hdr, make([]byte, 600)...))
	line := ts.logs.wait(t, "session dropped", "user=sue")
	if !strings.Contains(line, "connection failed after 600 bytes") || !strings.Contains(line, "i/o timeout") {
		t.Errorf("stalled upload ended with %q", line)
	}
	if !rc.closedByServer() {
		t.Error("stalled connection left open")
	}
	ts.settle(t, "sue", "/s")
	if part := ts.partBytes(t, "sue", "/s"); len(part) != 600 {
		t.Errorf("part after the stall: %d bytes, want 600", len(part))
	}
	ts.checkUsage(t, "sue")
}
