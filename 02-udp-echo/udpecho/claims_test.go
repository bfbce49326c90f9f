package udpecho_test

// Tests for the claims U1–U8 the note makes about UDP, listed in the
// chapter's README. Each test name carries the claim's ID. Linux-specific
// parts live in claims_linux_test.go.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/02-udp-echo/udpecho"
)

// U1: no listen, no accept; a bound socket receives from anyone.
func TestClaimU1_NoConnectionServerReceivesFromAnyone(t *testing.T) {
	server := listenUDP(t)
	a, b := listenUDP(t), listenUDP(t)

	// Neither client connects: each just sends to the server's address.
	// Both datagrams are sent before the server has read anything; the
	// bound socket queues them without any accept.
	_, err := a.WriteTo([]byte("from a"), server.LocalAddr())
	require.NoError(t, err)
	_, err = b.WriteTo([]byte("from b"), server.LocalAddr())
	require.NoError(t, err)

	got := map[string]string{}
	for range 2 {
		msg, from := readFrom(t, server, 1024)
		got[from.String()] = string(msg)
		// The reply needs no connection object either: it goes to the
		// address the datagram came from.
		_, err := server.WriteTo(append([]byte("re: "), msg...), from)
		require.NoError(t, err)
	}
	want := map[string]string{
		a.LocalAddr().String(): "from a",
		b.LocalAddr().String(): "from b",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("datagrams by source address (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		pc   net.PacketConn
		want string
	}{{a, "re: from a"}, {b, "re: from b"}} {
		msg, from := readFrom(t, c.pc, 1024)
		assert.Equal(t, c.want, string(msg), "reply to %v", c.pc.LocalAddr())
		assert.Equal(t, server.LocalAddr().String(), from.String(), "source of reply")
	}

	// Go has no UDP listener at all: net.Listen refuses the network.
	ln, err := net.Listen("udp", "127.0.0.1:0")
	if err == nil {
		ln.Close()
		t.Errorf(`net.Listen("udp", ...) succeeded; want an error, UDP has no listen`)
	}
}

// U2: recvfrom blocks while nothing has arrived.
func TestClaimU2_ReadFromBlocksUntilDatagramArrives(t *testing.T) {
	pc := listenUDP(t)

	// With nothing queued, ReadFrom does not return "empty": it waits, here
	// until a short deadline ends the wait.
	require.NoError(t, pc.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	buf := make([]byte, 1024)
	n, from, err := pc.ReadFrom(buf)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadFrom on an empty socket = %d, %v, %v; want the deadline to end the wait", n, from, err)
	}

	// A blocked ReadFrom returns as soon as a datagram arrives.
	type result struct {
		msg string
		err error
	}
	done := make(chan result, 1)
	require.NoError(t, pc.SetReadDeadline(time.Now().Add(wait)))
	go func() {
		n, _, err := pc.ReadFrom(buf)
		done <- result{string(buf[:n]), err}
	}()
	sender := listenUDP(t)
	_, err = sender.WriteTo([]byte("wake up"), pc.LocalAddr())
	require.NoError(t, err)
	r := <-done // bounded by the read deadline
	require.NoError(t, r.err)
	assert.Equal(t, "wake up", r.msg)
}

// U3: an empty sendto still sends a datagram, which carries the sender's
// address. (On TCP an empty send sends nothing: claim T4 in chapter 01.)
func TestClaimU3_EmptyDatagramArrivesWithSenderAddress(t *testing.T) {
	server := listenUDP(t)

	t.Run("unconnected WriteTo", func(t *testing.T) {
		client := listenUDP(t)
		n, err := client.WriteTo(nil, server.LocalAddr())
		require.NoError(t, err)
		assert.Equal(t, 0, n, "bytes written")
		msg, from := readFrom(t, server, 1024)
		assert.Empty(t, msg, "payload")
		assert.Equal(t, client.LocalAddr().String(), from.String(), "source address")
	})

	t.Run("connected Write", func(t *testing.T) {
		conn, err := net.Dial("udp4", server.LocalAddr().String())
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.Write([]byte{})
		require.NoError(t, err)
		msg, from := readFrom(t, server, 1024)
		assert.Empty(t, msg, "payload")
		assert.Equal(t, conn.LocalAddr().String(), from.String(), "source address")
	})

	t.Run("echo server", func(t *testing.T) {
		rec := newRecorder()
		addr := startServer(t, &udpecho.Server{Logger: slog.New(rec)})
		c := dial(t, addr, wait)
		reply, err := c.Exchange(context.Background(), nil)
		require.NoError(t, err)
		assert.Empty(t, reply, "reply to an empty datagram")
		got := rec.waitFor(t, "datagram", 1)[0]
		assert.Equal(t, "0", got.Attrs["bytes"], "logged length")
		assert.Equal(t, c.LocalAddr().String(), got.Attrs["remote"], "logged source")
	})
}

// U4, the portable half: sending to a port where nothing listens reports no
// error. The ICMP side is in claims_linux_test.go.
func TestClaimU4_SendWithNoServerReportsNoError(t *testing.T) {
	dead := deadAddr(t)
	client := listenUDP(t)
	n, err := client.WriteTo([]byte("anyone there?"), dead)
	require.NoError(t, err, "WriteTo a port with no server")
	assert.Equal(t, len("anyone there?"), n, "bytes written")
}

// U5: a receive buffer smaller than the datagram gets the first bytes; the
// rest of that datagram is thrown away, not kept for the next read.
func TestClaimU5_ReadFromReturnsTruncatedPrefix(t *testing.T) {
	server := listenUDP(t)
	client := listenUDP(t)
	big := bytes.Repeat([]byte("0123456789"), 200) // 2000 bytes
	_, err := client.WriteTo(big, server.LocalAddr())
	require.NoError(t, err)
	_, err = client.WriteTo([]byte("next"), server.LocalAddr())
	require.NoError(t, err)

	require.NoError(t, server.SetReadDeadline(time.Now().Add(wait)))
	buf := make([]byte, 1024) // the note's recvfrom(1024)
	n, _, err := server.ReadFrom(buf)
	// Linux and macOS return the prefix without an error; Windows reports
	// WSAEMSGSIZE instead, so only the length is checked everywhere.
	if err != nil {
		t.Logf("ReadFrom with a short buffer: %v (Windows reports this)", err)
	}
	require.Equal(t, 1024, n, "bytes read from a 2000-byte datagram")
	assert.Equal(t, big[:1024], buf[:n], "the read returns the datagram's first 1024 bytes")

	// The next read returns the next datagram, not the 976 lost bytes.
	msg, _ := readFrom(t, server, 1024)
	assert.Equal(t, "next", string(msg), "read after a truncated one")
}

// U6: datagrams nobody reads are dropped once the receive buffer is full.
func TestClaimU6_UnreadDatagramsAreLostWhenBufferIsFull(t *testing.T) {
	sent, received := overflowReceiveBuffer(t)
	assert.Positive(t, received, "datagrams received")
	assert.Less(t, received, sent, "datagrams received; want some lost")
}

// rcvBufRequest is the receive buffer size overflowReceiveBuffer asks for.
// Linux doubles the request (the extra half is for its bookkeeping) and
// charges each datagram its payload plus a few hundred bytes of overhead.
const rcvBufRequest = 8192

// overflowReceiveBuffer sends datagrams to a socket with a small receive
// buffer that reads nothing until all are sent, then counts how many it
// can still read.
func overflowReceiveBuffer(t *testing.T) (sent, received int) {
	t.Helper()
	server := listenUDP(t)
	require.NoError(t, server.(*net.UDPConn).SetReadBuffer(rcvBufRequest))

	sent = 200
	client := listenUDP(t)
	payload := make([]byte, 512)
	for i := range sent {
		copy(payload, fmt.Sprintf("%06d", i))
		_, err := client.WriteTo(payload, server.LocalAddr())
		require.NoError(t, err, "datagram %d: the sender is never told about the loss", i)
	}

	// Only now does the server read. Whatever the buffer could not hold is
	// gone; after the last queued datagram, reads time out.
	seen := map[string]bool{}
	buf := make([]byte, 1024)
	deadline := wait // the first datagram must arrive
	for {
		require.NoError(t, server.SetReadDeadline(time.Now().Add(deadline)))
		n, _, err := server.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, len(payload), n, "datagram length")
		seq := string(buf[:6])
		assert.False(t, seen[seq], "datagram %s received twice", seq)
		seen[seq] = true
		deadline = 300 * time.Millisecond // the rest are queued already or lost
	}
	received = len(seen)
	t.Logf("sent %d datagrams of %d bytes into a %d-byte receive buffer request; received %d, lost %d",
		sent, len(payload), rcvBufRequest, received, sent-received)
	return sent, received
}

// U7: UDP keeps message boundaries: each read returns exactly one datagram,
// however many are queued. (Compare TCP in chapter 03, claim S4, where
// "helloworld" and "SB" arrive as "helloworldSB".)
func TestClaimU7_EachReadReturnsExactlyOneDatagram(t *testing.T) {
	server := listenUDP(t)
	client := listenUDP(t)
	want := []string{"helloworld", "", "SB", "x"}
	for _, m := range want {
		_, err := client.WriteTo([]byte(m), server.LocalAddr())
		require.NoError(t, err)
	}
	// All four are queued before the first read, and the buffer has room
	// for all of them; still each read returns one.
	var got []string
	for range want {
		msg, _ := readFrom(t, server, 1024)
		got = append(got, string(msg))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reads (-want +got):\n%s", diff)
	}
}

// U8: one socket serves many peers; each datagram carries its source
// address, and the server replies to it.
func TestClaimU8_OneSocketServesManyPeers(t *testing.T) {
	rec := newRecorder()
	addr := startServer(t, &udpecho.Server{Logger: slog.New(rec)})

	const peers = 20
	clients := make([]*udpecho.Client, peers)
	for i := range clients {
		clients[i] = dial(t, addr, wait)
	}
	errs := make([]error, peers)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			want := fmt.Sprintf("peer %d", i)
			reply, err := c.Exchange(context.Background(), []byte(want))
			if err == nil && string(reply) != want {
				err = fmt.Errorf("Exchange(%q) = %q", want, reply)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "peer %d", i)
	}

	// The log names each peer by its own source address.
	gotFrom := map[string]string{}
	for _, l := range rec.waitFor(t, "datagram", peers) {
		gotFrom[l.Attrs["remote"]] = l.Attrs["text"]
	}
	wantFrom := map[string]string{}
	for i, c := range clients {
		wantFrom[c.LocalAddr().String()] = fmt.Sprintf("peer %d", i)
	}
	if diff := cmp.Diff(wantFrom, gotFrom); diff != "" {
		t.Errorf("logged source addresses (-want +got):\n%s", diff)
	}
}
