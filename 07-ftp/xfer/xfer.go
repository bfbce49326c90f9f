// Package xfer copies a stream while computing its hash on another
// goroutine, so that on a machine with two cores the SHA-256 of a transfer
// costs little extra time: the hash of one chunk runs while the next chunk
// is read and written.
package xfer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
)

// ChunkSize is the size of each buffer; Copy holds Buffers of them, so its
// memory is fixed whatever the length of the stream. Copy fills a buffer
// before it writes it and hands it to the hash, so that a socket's small
// reads do not each cost a write and a wake-up of the hashing goroutine
// (a switch between threads, dear on a virtual machine).
const (
	ChunkSize = 256 << 10
	Buffers   = 4
)

// Copy copies src to dst until src ends, a full chunk at a time, and
// writes every byte that dst accepted to h. It returns the bytes written to
// dst, the first write error and any read error (io.EOF is not an error).
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
		k, err := fill(src, buf)
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

// fill reads src into buf until buf is full or a read fails (io.EOF
// included), and returns the bytes read with that error: what arrived
// before a connection broke is written like the rest.
func fill(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := src.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// HashPrefix reads the first n bytes of r (with ReadAt: a file's offset
// does not move) and returns a SHA-256 hash that has absorbed them, ready
// to absorb what follows, and their digest in lower-case hex. Both ends of
// a resumed transfer use it to prove that a part is a prefix of the file.
func HashPrefix(r io.ReaderAt, n int64) (hash.Hash, string, error) {
	h := sha256.New()
	m, err := io.Copy(h, io.NewSectionReader(r, 0, n))
	if err == nil && m < n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, "", err
	}
	return h, Hex(h), nil
}

// Hex returns the digest of h in lower-case hex.
func Hex(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
