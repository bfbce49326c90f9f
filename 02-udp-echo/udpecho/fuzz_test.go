package udpecho_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/gosockets/tutorial/02-udp-echo/udpecho"
)

// FuzzServerEcho sends arbitrary payloads to a real server over loopback:
// whatever the bytes, the server must stay up and send them back unchanged.
func FuzzServerEcho(f *testing.F) {
	for _, seed := range [][]byte{
		nil,
		[]byte("hello"),
		[]byte("\x00\xff\xfe\r\n"),
		[]byte("你好"),
		bytes.Repeat([]byte("a"), 1025),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > udpecho.MaxPayload {
			t.Skip("larger than one datagram")
		}
		addr := startServer(t, &udpecho.Server{})
		c := dial(t, addr, wait)
		reply, err := c.Exchange(context.Background(), msg)
		if err != nil {
			t.Fatalf("Exchange(%q): %v", msg, err)
		}
		if !bytes.Equal(reply, msg) {
			t.Errorf("Exchange(%q) = %q, want the same bytes back", msg, reply)
		}
		// The server is still up for the next datagram.
		if reply, err := c.Exchange(context.Background(), []byte("still there?")); err != nil || string(reply) != "still there?" {
			t.Errorf("Exchange after %q = %q, %v; want the server still echoing", msg, reply, err)
		}
	})
}
