package frame_test

// This file holds the tests of the curriculum's claims F1–F3 and of the
// bugs of the notes' framing client. Each bug is shown in Python, by
// testdata/notes_bugs.py running the notes' own lines, next to the Go code
// that answers it.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/04-struct-framing/progtest"
)

// runNotesBug runs one case of testdata/notes_bugs.py and decodes the JSON
// object it prints into v.
func runNotesBug(t *testing.T, name string, v any) {
	t.Helper()
	py := progtest.Python3(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "testdata/notes_bugs.py", name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "python3 notes_bugs.py %s: %s", name, stderr.String())
	require.NoError(t, json.Unmarshal(out, v), "output: %s", out)
}

// tcpPair returns the two ends of a TCP connection over loopback, each
// with a deadline so that a broken test fails in seconds.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	type result struct {
		c   net.Conn
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		accepted <- result{c, err}
	}()
	client, err = net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	require.NoError(t, err)
	res := <-accepted
	require.NoError(t, res.err)
	server = res.c
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range []net.Conn{client, server} {
		require.NoError(t, c.SetDeadline(deadline))
		t.Cleanup(func() { c.Close() })
	}
	return client, server
}

// readTap reports the length of every Read on a channel, so that a test can
// act on what the reader has seen without sleeping.
type readTap struct {
	r     io.Reader
	reads chan int
}

func (tr *readTap) Read(p []byte) (int, error) {
	n, err := tr.r.Read(p)
	tr.reads <- n
	return n, err
}

// TestClaimF1_LengthThenHeaderThenData sends chapter 03's two quick
// messages as frames and lets the receiver read late, when both are in its
// buffer: where chapter 03's recv(1024) got "helloworldSB", the frame
// reader gets "helloworld" and "SB".
func TestClaimF1_LengthThenHeaderThenData(t *testing.T) {
	client, server := tcpPair(t)
	for _, msg := range []string{"helloworld", "SB"} {
		require.NoError(t, frame.WriteBytes(client, nil, []byte(msg)))
	}
	require.NoError(t, client.Close()) // both frames are written; the reader starts late

	// The bytes on the wire: 4-byte length, JSON header, data; twice.
	wire, err := io.ReadAll(server)
	require.NoError(t, err)
	want := "\x10\x00\x00\x00" + `{"data_size":10}` + "helloworld" +
		"\x0f\x00\x00\x00" + `{"data_size":2}` + "SB"
	if string(wire) != want {
		t.Errorf("wire = %q, want %q", wire, want)
	}

	got := bodies(t, wire)
	if fmt.Sprint(got) != "[helloworld SB]" {
		t.Errorf("messages = %q, want [helloworld SB]", got)
	}
}

// TestClaimF2_PrefixIsPythonStructPackI compares our prefix with what
// Python's struct module writes on this machine.
func TestClaimF2_PrefixIsPythonStructPackI(t *testing.T) {
	var py struct {
		ByteOrder string `json:"byteorder"`
		Native    string `json:"native"`
		Little    string `json:"little"`
		Network   string `json:"network"`
		Negative  string `json:"negative"`
		CalcSize  int    `json:"calcsize"`
	}
	runNotesBug(t, "pack", &py)

	b, err := frame.EncodeHeader(nil, 10) // header {"data_size":10}, 16 bytes
	require.NoError(t, err)
	ours := hex.EncodeToString(b[:frame.PrefixSize])
	if ours != py.Little {
		t.Errorf("our prefix for 16 = %s, Python struct.pack('<i', 16) = %s", ours, py.Little)
	}
	if py.ByteOrder == "little" && ours != py.Native {
		t.Errorf("our prefix for 16 = %s, Python struct.pack('i', 16) = %s on a little-endian machine", ours, py.Native)
	}
	if py.CalcSize != frame.PrefixSize {
		t.Errorf("struct.calcsize('i') = %d, want %d", py.CalcSize, frame.PrefixSize)
	}
	// Network byte order, the usual alternative, is big-endian: '!i'.
	if got := hex.EncodeToString(binary.BigEndian.AppendUint32(nil, 16)); got != py.Network {
		t.Errorf("binary.BigEndian 16 = %s, Python struct.pack('!i', 16) = %s", got, py.Network)
	}
	// 'i' is signed: -2 is fe ff ff ff, and our reader refuses it.
	neg, err := hex.DecodeString(py.Negative)
	require.NoError(t, err)
	if _, err := frame.ReadHeader(bytes.NewReader(neg)); !errors.Is(err, frame.ErrNegativeLength) {
		t.Errorf("ReadHeader(struct.pack('i', -2)) = %v, want ErrNegativeLength", err)
	}
}

// TestClaimF3_ReceiverLoopsUntilDataSize sends a 256 KiB body over TCP in
// pieces; single reads return less than the body, and the body reader keeps
// reading until it has exactly data_size bytes.
func TestClaimF3_ReceiverLoopsUntilDataSize(t *testing.T) {
	client, server := tcpPair(t)
	body := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	errc := make(chan error, 1)
	go func() {
		if err := frame.WriteHeader(client, nil, int64(len(body))); err != nil {
			errc <- err
			return
		}
		for p := body; len(p) > 0; p = p[min(len(p), 1000):] {
			if _, err := client.Write(p[:min(len(p), 1000)]); err != nil {
				errc <- err
				return
			}
		}
		errc <- frame.WriteBytes(client, nil, []byte("next")) // must stay out of the body
	}()

	tap := &readTap{r: server, reads: make(chan int, 1<<16)}
	fr := frame.NewReader(tap)
	h, r, err := fr.Next()
	require.NoError(t, err)
	n0 := len(tap.reads)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	bodyReads := len(tap.reads) - n0
	if !bytes.Equal(got, body) || h.DataSize != int64(len(body)) {
		t.Errorf("body = %d bytes (data_size %d), want the %d bytes sent", len(got), h.DataSize, len(body))
	}
	if bodyReads < 2 {
		t.Errorf("body came in %d reads; the test needs several to show the loop", bodyReads)
	}
	_, r, err = fr.Next()
	require.NoError(t, err)
	next, err := io.ReadAll(r)
	require.NoError(t, err)
	if string(next) != "next" {
		t.Errorf("next frame = %q, want %q", next, "next")
	}
	require.NoError(t, <-errc)
	t.Logf("a %d-byte body arrived in %d reads", len(body), bodyReads)
}

// TestNotesBugRecv4ShortRead: recv(4) returns what is there, which may be
// fewer than 4 bytes; the notes then unpack a short buffer. io.ReadFull,
// inside ReadHeader, waits for all four.
func TestNotesBugRecv4ShortRead(t *testing.T) {
	t.Run("python", func(t *testing.T) {
		var py struct {
			Returned int    `json:"recv4_returned"`
			Error    string `json:"unpack_error"`
		}
		runNotesBug(t, "recv4", &py)
		if py.Returned != 2 || !strings.HasPrefix(py.Error, "struct.error") {
			t.Errorf("notes' recv(4) with 2 bytes sent: returned %d, unpack error %q; want 2 and a struct.error", py.Returned, py.Error)
		}
	})
	t.Run("go", func(t *testing.T) {
		wire := mustFrame(t, nil, []byte("helloworld"))

		// A single Read is Go's recv(4): it returns the 2 bytes that are there.
		client, server := tcpPair(t)
		_, err := client.Write(wire[:2])
		require.NoError(t, err)
		buf := make([]byte, 4)
		n, err := server.Read(buf)
		require.NoError(t, err)
		if n != 2 {
			t.Errorf("Read of 4 with 2 bytes sent = %d, want 2", n)
		}

		// ReadHeader gets the same 2 bytes first, and waits for the rest.
		client, server = tcpPair(t)
		tap := &readTap{r: server, reads: make(chan int, 16)}
		type result struct {
			h   frame.Header
			err error
		}
		done := make(chan result, 1)
		go func() {
			h, err := frame.ReadHeader(tap)
			done <- result{h, err}
		}()
		_, err = client.Write(wire[:2])
		require.NoError(t, err)
		if first := <-tap.reads; first != 2 {
			t.Errorf("ReadHeader's first read = %d bytes, want the 2 sent", first)
		}
		_, err = client.Write(wire[2:])
		require.NoError(t, err)
		res := <-done
		require.NoError(t, res.err)
		if res.h.DataSize != 10 {
			t.Errorf("DataSize = %d, want 10", res.h.DataSize)
		}
	})
}

// TestNotesBugUnpackReturnsTuple: struct.unpack returns a tuple, and the
// notes pass it to recv as a length, which raises TypeError. In Go the
// prefix decodes to an integer, and the type checker would refuse the
// mistake.
func TestNotesBugUnpackReturnsTuple(t *testing.T) {
	t.Run("python", func(t *testing.T) {
		var py struct {
			Type      string `json:"type"`
			Value     string `json:"value"`
			RecvError string `json:"recv_error"`
		}
		runNotesBug(t, "unpack", &py)
		if py.Type != "tuple" || !strings.HasPrefix(py.RecvError, "TypeError") {
			t.Errorf("notes' unpack: type %s (%s), recv error %q; want a tuple and a TypeError", py.Type, py.Value, py.RecvError)
		}
	})
	t.Run("go", func(t *testing.T) {
		wire := mustFrame(t, nil, []byte("helloworld"))
		n := binary.LittleEndian.Uint32(wire) // one integer, not a tuple
		if n != 16 {
			t.Errorf("prefix = %d, want 16", n)
		}
		h, err := frame.ReadHeader(bytes.NewReader(wire))
		require.NoError(t, err)
		var size int64 = h.DataSize
		if size != 10 || len(h.Raw) != int(n) {
			t.Errorf("ReadHeader = data_size %d, header %d bytes; want 10, %d", size, len(h.Raw), n)
		}
	})
}

// TestNotesBugRecv1024ReadsNextMessage: the notes' body loop asks for 1024
// bytes whatever is left of the body, so with two replies in the buffer it
// swallows the second into the first. The frame reader asks for no more
// than the body has left.
func TestNotesBugRecv1024ReadsNextMessage(t *testing.T) {
	var py struct {
		WireHex       string `json:"wire_hex"`
		DataSize      int    `json:"data_size"`
		RecvSize      int    `json:"recv_size"`
		Body          string `json:"body"`
		NextPrefixHex string `json:"next_prefix_hex"`
	}
	runNotesBug(t, "recv1024", &py)
	if py.RecvSize <= py.DataSize || !strings.HasSuffix(py.Body, "SB") || py.NextPrefixHex != "" {
		t.Errorf("notes' loop: recv_size %d for data_size %d, body %q, next prefix %q; want the second reply inside the first body and nothing left",
			py.RecvSize, py.DataSize, py.Body, py.NextPrefixHex)
	}

	// The same bytes, which Python wrote, through the frame reader.
	wire, err := hex.DecodeString(py.WireHex)
	require.NoError(t, err)
	got := bodies(t, wire)
	if fmt.Sprint(got) != "[helloworld SB]" {
		t.Errorf("frame reader on Python's wire = %q, want [helloworld SB]", got)
	}
}

// TestNotesBugBytesConcatIsQuadratic: recv_data += data builds a new bytes
// object each time and copies all that came before, so a body of n bytes
// in 1024-byte reads costs about n*n/2048 bytes of copying. Go streams the
// body instead: io.Copy allocates the same small amount for 1 MiB as for
// 16 MiB, and ReadBytes, when a caller wants the body in memory, grows its
// buffer geometrically.
func TestNotesBugBytesConcatIsQuadratic(t *testing.T) {
	t.Run("python", func(t *testing.T) {
		var py struct {
			Chunks      int   `json:"chunks"`
			ChunkSize   int   `json:"chunk_size"`
			NewObjects  int   `json:"new_objects"`
			BytesCopied int64 `json:"bytes_copied"`
			FinalSize   int64 `json:"final_size"`
		}
		runNotesBug(t, "concat", &py)
		c, k := int64(py.Chunks), int64(py.ChunkSize)
		quadratic := k * c * (c + 1) / 2 // k + 2k + ... + ck
		if py.NewObjects != py.Chunks || py.BytesCopied != quadratic {
			t.Errorf("notes' loop: %d new objects for %d chunks, %d bytes copied; want %d and %d",
				py.NewObjects, py.Chunks, py.BytesCopied, py.Chunks, quadratic)
		}
		t.Logf("Python copied %d MB to receive %d KiB", py.BytesCopied/1e6, py.FinalSize>>10)
	})
	t.Run("go", func(t *testing.T) {
		streamed := func(size int) uint64 {
			wire := frameWithBody(t, size)
			before := heapAllocBytes()
			h, err := frame.ReadHeader(wire)
			require.NoError(t, err)
			_, err = io.Copy(io.Discard, h.Body(wire))
			require.NoError(t, err)
			return heapAllocBytes() - before
		}
		inMemory := func(size int) uint64 {
			wire := frameWithBody(t, size)
			before := heapAllocBytes()
			_, _, err := frame.ReadBytes(wire, 1<<30)
			require.NoError(t, err)
			return heapAllocBytes() - before
		}
		small, large := streamed(1<<20), streamed(16<<20)
		if large > 64<<10 {
			t.Errorf("streaming 16 MiB allocated %d bytes (1 MiB: %d); want it constant and small", large, small)
		}
		if m := inMemory(16 << 20); m > 3*16<<20 {
			t.Errorf("ReadBytes of 16 MiB allocated %d bytes, want under 3x the body", m)
		}
		t.Logf("heap metric grew by %d bytes streaming 1 MiB, %d streaming 16 MiB (it counts small objects a span at a time)", small, large)
	})
}

// frameWithBody returns a reader of one frame with a body of size bytes,
// made without holding the body in memory twice.
func frameWithBody(t *testing.T, size int) io.Reader {
	t.Helper()
	hdr, err := frame.EncodeHeader(nil, int64(size))
	require.NoError(t, err)
	return io.MultiReader(bytes.NewReader(hdr), io.LimitReader(zeros{}, int64(size)))
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// bodies reads every frame in wire and returns their bodies as strings.
func bodies(t *testing.T, wire []byte) []string {
	t.Helper()
	fr := frame.NewReader(bytes.NewReader(wire))
	var got []string
	for {
		_, body, err := fr.Next()
		if err == io.EOF {
			return got
		}
		require.NoError(t, err)
		b, err := io.ReadAll(body)
		require.NoError(t, err)
		got = append(got, string(b))
	}
}
