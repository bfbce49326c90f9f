package rsh_test

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

// bigOutput is a command that prints 8 MiB.
const (
	bigSize   = 8 << 20
	bigOutput = "head -c 8388608 /dev/zero"
)

// TestLargeOutputStreamsInConstantMemory checks that an 8 MiB reply passes
// through the server and the client without either holding it: everything
// the whole test process allocates while it runs stays far below the output
// size, because the output goes through spool files and fixed buffers.
func TestLargeOutputStreamsInConstantMemory(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	c := rsh.NewClient(dial(t, addr))
	run(t, c, "true") // warm up: connection buffers, first command

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep, err := c.Run(bigOutput, io.Discard, io.Discard)
	runtime.ReadMemStats(&after)
	if err != nil || rep.StdoutSize != bigSize {
		t.Fatalf("Run(%q) = %d bytes, %v; want %d bytes", bigOutput, rep.StdoutSize, err, bigSize)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes in all for an %d-byte reply", alloc, bigSize)
	if alloc > bigSize/8 {
		t.Errorf("allocated %d bytes for an %d-byte reply, want under %d: the output is being buffered", alloc, bigSize, bigSize/8)
	}
}

// BenchmarkReply measures one reply end to end at several output sizes; its
// B/op is what the server and the client allocate together per reply. If
// the output were buffered, B/op would grow with the size.
func BenchmarkReply(b *testing.B) {
	s := &rsh.Server{TempDir: b.TempDir()}
	ln, err := listenLoopback()
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(ln)
	defer s.Close()
	c, err := rsh.Dial(b.Context(), ln.Addr().String(), time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, size := range []int64{1 << 10, 1 << 20, 8 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			command := fmt.Sprintf("head -c %d /dev/zero", size)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				if rep, err := c.Run(command, io.Discard, io.Discard); err != nil || rep.StdoutSize != size {
					b.Fatalf("Run(%q) = %d bytes, %v", command, rep.StdoutSize, err)
				}
			}
		})
	}
}
