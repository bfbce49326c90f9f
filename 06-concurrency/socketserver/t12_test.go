package socketserver

import (
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

// quietFor is how long the second client listens to chapter 01's server to
// show it gets no reply while the first client is connected. A server that
// serves one client at a time never answers in that window, however long
// it is; a short window keeps the test quick.
const quietFor = 200 * time.Millisecond

// T12, side by side: the very scenario that leaves chapter 01's second
// client waiting. Chapter 01's server has the second client queued in the
// backlog, unanswered, until the first leaves; this chapter's server
// answers both at once.
func TestClaimT12_SecondClientWaitsInChapter01AnsweredHere(t *testing.T) {
	servers := []struct {
		name       string
		start      func(t *testing.T) (addr string)
		concurrent bool
	}{
		{"chapter01_echo.Server", func(t *testing.T) string {
			s := &echo.Server{}
			ln := listen(t)
			errc := make(chan error, 1)
			go func() { errc <- s.Serve(ln) }()
			t.Cleanup(func() {
				s.Close()
				assert.ErrorIs(t, <-errc, echo.ErrServerClosed, "echo.Server.Serve")
			})
			return ln.Addr().String()
		}, false},
		{"chapter06_socketserver.Server", func(t *testing.T) string {
			return startServer(t, echoServer())
		}, true},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			addr := srv.start(t)

			first := dial(t, addr)
			mustEcho(t, first, "first")

			second := dial(t, addr) // connect succeeds either way (backlog)
			_, err := second.Write([]byte("second"))
			require.NoError(t, err)
			mustEcho(t, first, "still first") // the server is busy with first

			buf := make([]byte, len("second"))
			if srv.concurrent {
				require.NoError(t, readFullBy(second, buf, time.Now().Add(ioTimeout)), "second client, first still connected")
				assert.Equal(t, "second", string(buf), "the reply while the first is connected")
				return
			}
			err = readFullBy(second, buf, time.Now().Add(quietFor))
			require.ErrorIs(t, err, os.ErrDeadlineExceeded, "second client, first still connected: want no reply")
			first.Close() // only now is the second client served
			require.NoError(t, readFullBy(second, buf, time.Now().Add(ioTimeout)), "second client after the first left")
			assert.Equal(t, "second", string(buf), "the reply after the first left")
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
