package frame_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// BenchmarkSmallFrame writes and reads back one small frame, the
// chapter's "helloworld".
func BenchmarkSmallFrame(b *testing.B) {
	msg := []byte("helloworld")
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := frame.WriteBytes(&buf, nil, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := frame.ReadBytes(&buf, 1<<10); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNextSmall reads small frames from a stream with Reader.Next.
func BenchmarkNextSmall(b *testing.B) {
	wire := mustFrame(b, map[string]int{"seq": 1}, []byte("helloworld"))
	r := bytes.NewReader(wire)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(wire)
		_, body, err := frame.NewReader(r).Next()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			b.Fatal(err)
		}
	}
}

// countWriter is an io.Writer without ReadFrom, so io.Copy really uses its own
// buffer, as it does when copying to most files and sockets.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var bodySizes = []int64{1 << 20, 64 << 20}

// BenchmarkStreamBody reads a frame's header and streams its body through
// io.Copy. The allocations per operation must be the same for 1 MiB and
// for 64 MiB.
func BenchmarkStreamBody(b *testing.B) {
	for _, size := range bodySizes {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			hdr, err := frame.EncodeHeader(nil, size)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				r := io.MultiReader(bytes.NewReader(hdr), io.LimitReader(zeros{}, size))
				h, err := frame.ReadHeader(r)
				if err != nil {
					b.Fatal(err)
				}
				var w countWriter
				if _, err := io.Copy(&w, h.Body(r)); err != nil || w.n != size {
					b.Fatalf("copied %d bytes, %v; want %d", w.n, err, size)
				}
			}
		})
	}
}

// BenchmarkStreamBodyTCP sends a frame over loopback TCP with Write and
// receives its body with io.Copy.
func BenchmarkStreamBodyTCP(b *testing.B) {
	for _, size := range bodySizes {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			errc := make(chan error, 1)
			go func() {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					errc <- err
					return
				}
				defer c.Close()
				for {
					if err := frame.Write(c, nil, size, io.LimitReader(zeros{}, size)); err != nil {
						errc <- nil // the reader hung up: the benchmark is over
						return
					}
				}
			}()
			c, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			fr := frame.NewReader(c)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				_, body, err := fr.Next()
				if err != nil {
					b.Fatal(err)
				}
				var w countWriter
				if _, err := io.Copy(&w, body); err != nil || w.n != size {
					b.Fatalf("copied %d bytes, %v; want %d", w.n, err, size)
				}
			}
			b.StopTimer()
			c.Close()
			if err := <-errc; err != nil {
				b.Fatal(err)
			}
		})
	}
}
