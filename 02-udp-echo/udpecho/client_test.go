package udpecho_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/02-udp-echo/udpecho"
)

func TestExchangeReportsLostReply(t *testing.T) {
	silent := listenUDP(t) // bound, so no ICMP error comes back, but never replies
	c := dial(t, silent.LocalAddr().String(), 100*time.Millisecond)
	_, err := c.Exchange(context.Background(), []byte("hello"))
	require.ErrorIs(t, err, udpecho.ErrNoReply)
	assert.Equal(t, "no reply from "+silent.LocalAddr().String()+" within 100ms", err.Error())

	msg, _ := readFrom(t, silent, 1024)
	assert.Equal(t, "hello", string(msg), "the datagram did arrive; only the reply was missing")
}

func TestExchangeStopsWhenContextEnds(t *testing.T) {
	silent := listenUDP(t)
	c := dial(t, silent.LocalAddr().String(), time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Exchange(ctx, []byte("hello"))
		errc <- err
	}()
	readFrom(t, silent, 1024) // Exchange is now waiting for the reply
	cancel()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(wait):
		t.Fatal("Exchange did not return after its context ended")
	}
}

func TestDialDefaultTimeout(t *testing.T) {
	c := dial(t, "127.0.0.1:9", 0)
	assert.Equal(t, "127.0.0.1:9", c.RemoteAddr().String())
}

func TestDialBadAddress(t *testing.T) {
	for _, tt := range []struct{ addr, want string }{
		{"nonsense", "missing port in address"},
		{"127.0.0.1:99999", "invalid port"},
	} {
		c, err := udpecho.Dial(context.Background(), tt.addr, time.Second)
		if err == nil {
			c.Close()
			t.Errorf("Dial(%q) succeeded, want an error", tt.addr)
			continue
		}
		var ae *net.AddrError
		if !errors.As(err, &ae) || ae.Err != tt.want {
			t.Errorf("Dial(%q) = %v, want a *net.AddrError saying %q", tt.addr, err, tt.want)
		}
	}
}

// A connected client takes its reply only from the server's address: the
// kernel drops datagrams from anyone else.
func TestClientIgnoresDatagramsFromStrangers(t *testing.T) {
	server := listenUDP(t)
	stranger := listenUDP(t)
	c := dial(t, server.LocalAddr().String(), wait)
	type result struct {
		reply []byte
		err   error
	}
	done := make(chan result, 1)
	go func() {
		r, err := c.Exchange(context.Background(), []byte("question"))
		done <- result{r, err}
	}()
	_, from := readFrom(t, server, 1024)
	_, err := stranger.WriteTo([]byte("spoofed answer"), from)
	require.NoError(t, err)
	_, err = server.WriteTo([]byte("real answer"), from)
	require.NoError(t, err)
	r := <-done // bounded by the client's timeout
	require.NoError(t, r.err)
	assert.Equal(t, "real answer", string(r.reply))
}
