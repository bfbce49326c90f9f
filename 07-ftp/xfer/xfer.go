// Package xfer copies a stream while computing its hash, in a pipeline of
// three goroutines: one reads, one writes, one hashes. On a machine with
// two cores the copy into the socket or the page cache and the SHA-256 of
// a transfer then overlap instead of taking turns: a chunk is hashed while
// the next is written and the one after it read.
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
// reads do not each cost a write and a wake-up of another goroutine (a
// switch between threads, dear on a virtual machine).
const (
	ChunkSize = 256 << 10
	Buffers   = 6
)

// Copy copies src to dst until src ends, a full chunk at a time, and
// writes every byte that dst accepted to h. It returns the bytes written to
// dst, the first write error and any read error (io.EOF is not an error).
// Bytes read before a read error are written like the rest.
//
// After a write error Copy keeps reading src to its end without writing,
// so that a framed stream stays in step and the peer can still be answered,
// unless stop(werr) reports true, in which case Copy returns without
// reading the rest (it may have read up to Buffers chunks ahead).
func Copy(dst io.Writer, src io.Reader, h hash.Hash, stop func(error) bool) (n int64, werr, rerr error) {
	free := make(chan []byte, Buffers)
	for range Buffers {
		free <- make([]byte, ChunkSize)
	}
	toWrite := make(chan []byte, Buffers)
	toHash := make(chan []byte, Buffers)
	stopped := make(chan struct{}) // closed when a write error stops the copy
	type result struct {
		n   int64
		err error
	}
	written := make(chan result, 1)
	hashed := make(chan struct{})

	go func() { // hash what was written, then give the buffer back
		defer close(hashed)
		for b := range toHash {
			h.Write(b)
			free <- b[:cap(b)]
		}
	}()
	go func() { // write each chunk, then pass it to the hash
		var r result
		defer func() {
			close(toHash)
			written <- r
		}()
		for b := range toWrite {
			if r.err != nil { // draining: read on, write nothing
				free <- b[:cap(b)]
				continue
			}
			m, e := dst.Write(b)
			r.n += int64(m)
			toHash <- b[:m]
			if e == nil && m < len(b) {
				e = io.ErrShortWrite
			}
			if e != nil {
				r.err = e
				if stop != nil && stop(e) {
					close(stopped)
				}
			}
		}
	}()
	finish := func(err error) (int64, error, error) {
		close(toWrite)
		r := <-written
		<-hashed
		if errors.Is(err, io.EOF) {
			err = nil
		}
		return r.n, r.err, err
	}

	for {
		var buf []byte
		select {
		case <-stopped:
			return finish(nil)
		default:
		}
		select {
		case <-stopped:
			return finish(nil)
		case buf = <-free:
		}
		k, err := fill(src, buf)
		if k > 0 {
			toWrite <- buf[:k]
		} else {
			free <- buf
		}
		if err != nil {
			return finish(err)
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

// KernelChunk is how many bytes [SendChunks] hands to the kernel at once.
const KernelChunk = 8 << 20

// SendChunks copies r through dst's own ReadFrom (on a TCP connection,
// sendfile when r is a file or an *io.LimitedReader of one), KernelChunk
// bytes at a time, calling arm before each chunk, so that a write deadline
// set there covers one chunk, not the whole transfer. The kernel's copy
// sees through one *io.LimitedReader only, so a caller's limit is taken
// apart and each chunk gets a limit of its own; the caller's N is left at
// what was not sent.
func SendChunks(dst io.ReaderFrom, r io.Reader, arm func()) (int64, error) {
	src, left := r, int64(-1)
	if lr, ok := r.(*io.LimitedReader); ok {
		src, left = lr.R, lr.N
		defer func() { lr.N = left }()
	}
	var total int64
	for left != 0 {
		chunk := int64(KernelChunk)
		if left > 0 {
			chunk = min(chunk, left)
		}
		arm()
		n, err := dst.ReadFrom(&io.LimitedReader{R: src, N: chunk})
		total += n
		if left > 0 {
			left -= n
		}
		if err != nil || n < chunk {
			return total, err
		}
	}
	return total, nil
}
