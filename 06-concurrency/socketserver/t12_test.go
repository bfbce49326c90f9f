package socketserver

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

// quietFor is how long the second client listens to show it gets no reply.
// It only confirms what the server's log already proves (the second
// connection was never accepted), so it can be short.
const quietFor = 200 * time.Millisecond

// T12, side by side: the very scenario that leaves chapter 01's second
// client waiting. Chapter 01's server has the second client queued in the
// backlog, unanswered, until the first leaves; this chapter's server
// answers both at once.
func TestClaimT12_SecondClientWaitsInChapter01AnsweredHere(t *testing.T) {
	type start func(t *testing.T, log *slog.Logger) (addr string)
	servers := []struct {
		name        string
		start       start
		connectedAs string // the message each server logs on accept
		concurrent  bool
	}{
		{"chapter01_echo.Server", func(t *testing.T, log *slog.Logger) string {
			s := &echo.Server{Logger: log}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() { errc <- s.Serve(ln) }()
			t.Cleanup(func() {
				s.Close()
				if err := <-errc; !errors.Is(err, echo.ErrServerClosed) {
					t.Errorf("echo.Server.Serve() = %v, want echo.ErrServerClosed", err)
				}
			})
			return ln.Addr().String()
		}, "connected", false},
		{"chapter06_socketserver.Server", func(t *testing.T, log *slog.Logger) string {
			return startServer(t, &Server{Handler: HandlerFunc(Echo), Logger: log})
		}, "connection opened", true},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			rec := newLogRecorder()
			addr := srv.start(t, slog.New(rec))

			first := dial(t, addr)
			mustEcho(t, first, "first")

			second := dial(t, addr) // connect succeeds either way (backlog)
			if _, err := second.Write([]byte("second")); err != nil {
				t.Fatal(err)
			}
			mustEcho(t, first, "still first") // the server is busy with first

			if srv.concurrent {
				buf := make([]byte, len("second"))
				if err := readFullBy(second, buf, time.Now().Add(ioTimeout)); err != nil || string(buf) != "second" {
					t.Fatalf("second client, first still connected: reply %q, %v; want %q at once", buf, err, "second")
				}
			} else {
				if n := strings.Count(rec.text(), srv.connectedAs); n != 1 {
					t.Errorf("server accepted %d connections while the first was connected, want 1\n%s", n, rec.text())
				}
				buf := make([]byte, len("second"))
				err := readFullBy(second, buf, time.Now().Add(quietFor))
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("second client, first still connected: read %q, %v; want no reply (deadline exceeded)", buf, err)
				}
				first.Close() // only now is the second client served
				if err := readFullBy(second, buf, time.Now().Add(ioTimeout)); err != nil || string(buf) != "second" {
					t.Fatalf("second client after the first left: reply %q, %v; want %q", buf, err, "second")
				}
			}
		})
	}
}

// readFullBy fills buf from c, giving up at deadline.
func readFullBy(c net.Conn, buf []byte, deadline time.Time) error {
	if err := c.SetReadDeadline(deadline); err != nil {
		return err
	}
	_, err := io.ReadFull(c, buf)
	return err
}
