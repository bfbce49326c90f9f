package echo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

// timeout bounds every blocking call in these tests, so a broken test fails
// in seconds instead of hanging.
const timeout = 5 * time.Second

// short is how long a test waits to show that something does NOT happen
// (a read that gets no data, a connect that does not complete).
const short = 300 * time.Millisecond

// listen returns a listener on a free loopback port, closed at cleanup.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// startServer serves s on a fresh loopback listener and returns its address.
// At cleanup it closes s and checks that Serve returned ErrServerClosed.
func startServer(t testing.TB, s *echo.Server) string {
	t.Helper()
	ln := listen(t)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, echo.ErrServerClosed) {
				t.Errorf("Serve() = %v, want ErrServerClosed", err)
			}
		case <-time.After(timeout):
			t.Errorf("Serve did not return within %v of Close", timeout)
		}
	})
	return ln.Addr().String()
}

// dial connects to addr with a deadline; the connection is closed at cleanup
// and has a deadline for all its reads and writes.
func dial(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	return conn.(*net.TCPConn)
}

// accept accepts one connection from ln within the timeout.
func accept(t *testing.T, ln net.Listener) *net.TCPConn {
	t.Helper()
	tl := ln.(*net.TCPListener)
	if err := tl.SetDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	conn, err := tl.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// pair returns the two ends of a fresh loopback TCP connection.
func pair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln := listen(t)
	client = dial(t, ln.Addr().String())
	server = accept(t, ln)
	return client, server
}

// roundTrip sends msg on conn and reads back exactly len(msg) bytes.
func roundTrip(t *testing.T, conn net.Conn, msg string) string {
	t.Helper()
	if _, err := io.WriteString(conn, msg); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatalf("read echo of %q: %v", msg, err)
	}
	return string(buf)
}

// readsNothing asserts that a read on conn gets no data within short.
func readsNothing(t *testing.T, conn net.Conn) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(short)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %d bytes %q, %v; want no data and a deadline error", n, buf[:n], err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
}

// logEntry is one record logged by the server under test.
type logEntry struct {
	msg   string
	attrs map[string]string
}

func (e logEntry) String() string { return fmt.Sprintf("%s %v", e.msg, e.attrs) }

// logRecorder is a slog.Handler that hands every record to a channel, so a
// test can wait for the server to log something instead of sleeping.
type logRecorder struct {
	ch    chan logEntry
	attrs []slog.Attr
}

func newLogRecorder() (*slog.Logger, *logRecorder) {
	h := &logRecorder{ch: make(chan logEntry, 1000)}
	return slog.New(h), h
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	e := logEntry{msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		e.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		e.attrs[a.Key] = a.Value.String()
		return true
	})
	h.ch <- e
	return nil
}

func (h *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logRecorder{ch: h.ch, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *logRecorder) WithGroup(string) slog.Handler { return h }

// wait returns the next record with message msg, skipping others.
func (h *logRecorder) wait(t *testing.T, msg string) logEntry {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-h.ch:
			if e.msg == msg {
				return e
			}
		case <-deadline:
			t.Fatalf("server did not log %q within %v", msg, timeout)
		}
	}
}

// until returns every record up to and including the next one with message
// msg.
func (h *logRecorder) until(t *testing.T, msg string) []logEntry {
	t.Helper()
	var got []logEntry
	deadline := time.After(timeout)
	for {
		select {
		case e := <-h.ch:
			got = append(got, e)
			if e.msg == msg {
				return got
			}
		case <-deadline:
			t.Fatalf("server did not log %q within %v; it logged %v", msg, timeout, got)
		}
	}
}
