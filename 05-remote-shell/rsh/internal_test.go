package rsh

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/stretchr/testify/require"
)

// TestReadingADrainedPipeAgain shows, on a real pipe from a real command,
// what the notes' second res.stderr.read() gets in Go: once a pipe has been
// read to the end, every further read returns 0 bytes and io.EOF; after
// cmd.Wait has closed it, a read fails with os.ErrClosed.
func TestReadingADrainedPipeAgain(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("needs sh")
	}
	cmd := exec.Command("sh", "-c", "echo out; echo err >&2")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	// The notes' first two sends: stdout.read(), then stderr.read().
	out, err := io.ReadAll(stdout)
	require.NoError(t, err)
	errOut, err := io.ReadAll(stderr)
	require.NoError(t, err)
	if string(out) != "out\n" || string(errOut) != "err\n" {
		t.Fatalf("first reads = %q, %q; want %q, %q", out, errOut, "out\n", "err\n")
	}

	// The notes' err = res.stderr.read(), then res.stdout.read().
	second, fallback := readDrainedAgain(stdout, stderr)
	if len(second.Data) != 0 || second.Err != io.EOF {
		t.Errorf("second read of stderr = %q, %v; want \"\", io.EOF", second.Data, second.Err)
	}
	if len(fallback.Data) != 0 || fallback.Err != io.EOF {
		t.Errorf("second read of stdout = %q, %v; want \"\", io.EOF", fallback.Data, fallback.Err)
	}

	require.NoError(t, cmd.Wait())
	if n, err := stderr.Read(make([]byte, 10)); n != 0 || !errors.Is(err, os.ErrClosed) {
		t.Errorf("read after Wait = %d, %v; want 0, os.ErrClosed", n, err)
	}
}

func TestLooksFramed(t *testing.T) {
	prefix := func(n int) []byte {
		b, err := frame.EncodeHeader(nil, 0)
		require.NoError(t, err)
		return b[:n]
	}
	tests := []struct {
		name string
		head []byte
		want bool
	}{
		{"frame prefix", prefix(4), true},
		{"frame prefix, first byte only", prefix(1), false}, // 0x0e: taken for a raw command
		{"frame prefix, two bytes", prefix(2), true},        // 0e 00
		{"raw ls", []byte("ls"), false},
		{"raw ls -l", []byte("ls -"), false},
		{"raw pwd", []byte("pwd"), false},
		{"raw utf-8", []byte("echo 中文"[:4]), false},
	}
	for _, tt := range tests {
		if got := looksFramed(tt.head); got != tt.want {
			t.Errorf("%s: looksFramed(%q) = %v, want %v", tt.name, tt.head, got, tt.want)
		}
	}
}

// FuzzReadCommand feeds arbitrary request bytes to the server's parser: it
// must never panic, and every command it returns must hold no zero byte and
// fit its limit.
func FuzzReadCommand(f *testing.F) {
	framed := func(cmd string) []byte {
		var b bytes.Buffer
		if err := frame.WriteBytes(&b, nil, []byte(cmd)); err != nil {
			f.Fatal(err)
		}
		return b.Bytes()
	}
	f.Add([]byte("ls -l"), false)
	f.Add([]byte("l"), false)
	f.Add(framed("echo hi"), false)
	f.Add(framed("echo hi"), true)
	f.Add(append(framed("a"), framed("b")...), false)
	f.Add([]byte{5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}, false)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, false)
	f.Add([]byte(`{"data_size":-1}`), false)
	f.Add([]byte(strings.Repeat("x", 3000)), false)
	f.Fuzz(func(t *testing.T, in []byte, unframed bool) {
		s := &Server{Unframed: unframed}
		br := bufio.NewReader(bytes.NewReader(in))
		for range 100 {
			cmd, framed, err := s.readCommand(br)
			if err != nil {
				return
			}
			if framed && unframed {
				t.Fatalf("unframed server read a framed request")
			}
			if framed && bytes.IndexByte(cmd, 0) >= 0 {
				t.Fatalf("framed command %q holds a zero byte", cmd)
			}
			if (framed && len(cmd) > MaxCommandSize) || (!framed && len(cmd) > RawCommandSize) {
				t.Fatalf("command of %d bytes is over its limit", len(cmd))
			}
		}
	})
}
