// Package xfer copies a stream while computing its hash on another
// goroutine, so that on a machine with two cores the SHA-256 of a transfer
// costs little extra time: the hash of one chunk runs while the next chunk
// is read and written.
package xfer

import (
	"errors"
	"hash"
	"io"
)

// ChunkSize is the size of each buffer; Copy holds Buffers of them, so its
// memory is fixed whatever the length of the stream.
const (
	ChunkSize = 256 << 10
	Buffers   = 4
)

// Copy copies src to dst until src ends, and writes every byte that dst
// accepted to h. It returns the bytes written to dst, the first write error
// and any read error (io.EOF is not an error).
//
// After a write error Copy keeps reading src to its end without writing,
// so that a framed stream stays in step and the peer can still be answered,
// unless stop(werr) reports true, in which case Copy returns at once.
func Copy(dst io.Writer, src io.Reader, h hash.Hash, stop func(error) bool) (n int64, werr, rerr error) {
	free := make(chan []byte, Buffers)
	for range Buffers {
		free <- make([]byte, ChunkSize)
	}
	todo := make(chan []byte, Buffers)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range todo {
			h.Write(b)
			free <- b[:cap(b)]
		}
	}()
	defer func() {
		close(todo)
		<-done
	}()
	for {
		buf := <-free
		k, err := src.Read(buf)
		if k > 0 && werr == nil {
			m, e := dst.Write(buf[:k])
			n += int64(m)
			todo <- buf[:m]
			if e == nil && m < k {
				e = io.ErrShortWrite
			}
			if e != nil {
				werr = e
				if stop != nil && stop(e) {
					return n, werr, nil
				}
			}
		} else {
			free <- buf
		}
		if errors.Is(err, io.EOF) {
			return n, werr, nil
		}
		if err != nil {
			return n, werr, err
		}
	}
}
