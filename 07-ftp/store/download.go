package store

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"github.com/gosockets/tutorial/07-ftp/xfer"
)

// Download is a regular file open for sending.
type Download struct {
	f       *os.File
	size    int64
	modTime time.Time
	sum     string // recorded when the file was uploaded, if it has not changed
	known   bool
	// prefix has absorbed the first prefixLen bytes, after Resume.
	prefix    hash.Hash
	prefixLen int64
}

// BeginDownload opens v for sending if it is a regular file. FIFOs and
// devices are refused.
func (h *Home) BeginDownload(v string) (*Download, error) {
	f, fi, err := h.fs.OpenFile(v)
	if err != nil {
		return nil, err
	}
	sum, known := h.fs.Sum(v, fi)
	return &Download{f: f, size: fi.Size(), modTime: fi.ModTime(), sum: sum, known: known}, nil
}

// Close closes the file.
func (d *Download) Close() error { return d.f.Close() }

// Size returns the file's size when it was opened.
func (d *Download) Size() int64 { return d.size }

// ModTime returns the file's modification time.
func (d *Download) ModTime() time.Time { return d.modTime }

// Sum returns the SHA-256 recorded when the file was uploaded, if the file
// has not changed since.
func (d *Download) Sum() (string, bool) { return d.sum, d.known }

// Resume returns where to continue a download of which the client holds n
// bytes whose SHA-256 is prefix: n if the file's first n bytes have that
// digest, zero (the whole file) if they do not.
func (d *Download) Resume(n int64, prefix string) (int64, error) {
	if n <= 0 || n > d.size {
		return 0, nil
	}
	h, sum, err := xfer.HashPrefix(d.f, n)
	if err != nil {
		return 0, err
	}
	if sum != prefix {
		return 0, nil
	}
	d.prefix, d.prefixLen = h, n
	return n, nil
}

// Send writes the file from byte off to its end to w, and returns the
// bytes written and the SHA-256 of the whole file. A recorded checksum is
// used as it is, and the bytes then go to w without passing through this
// process where w allows it (sendfile, when w is a plain TCP connection's
// writer with a ReadFrom method); otherwise the file is hashed while it is
// sent. With off > 0 the sum is known only after [Download.Resume] found
// the client's first off bytes to match, or when recorded; else it is "".
func (d *Download) Send(w io.Writer, off int64) (int64, string, error) {
	want := d.size - off
	if off < 0 || want < 0 {
		return 0, "", fmt.Errorf("store: offset %d of a %d-byte file", off, d.size)
	}
	var n int64
	var err error
	sum := d.sum
	switch h := d.hasher(off); {
	case d.known || h == nil:
		n, err = d.sendRaw(w, off, want)
		if !d.known {
			sum = ""
		}
	default:
		var werr, rerr error
		n, werr, rerr = xfer.Copy(w, io.NewSectionReader(d.f, off, want), h, func(error) bool { return true })
		err = firstErr(werr, rerr)
		sum = xfer.Hex(h)
	}
	if err == nil && n < want {
		err = fmt.Errorf("file shrank while being sent: %d of %d bytes", n, want)
	}
	return n, sum, err
}

// hasher returns the hash to feed the bytes from off on, or nil if the
// bytes before off were not hashed.
func (d *Download) hasher(off int64) hash.Hash {
	switch {
	case off == 0:
		return sha256.New()
	case d.prefix != nil && d.prefixLen == off:
		return d.prefix
	}
	return nil
}

// sendRaw writes n bytes of the file from off to w, through w's ReadFrom if
// it has one, so that a socket can take them with sendfile.
func (d *Download) sendRaw(w io.Writer, off, n int64) (int64, error) {
	if rf, ok := w.(io.ReaderFrom); ok {
		if _, err := d.f.Seek(off, io.SeekStart); err != nil {
			return 0, err
		}
		return rf.ReadFrom(&io.LimitedReader{R: d.f, N: n})
	}
	return io.Copy(w, io.NewSectionReader(d.f, off, n))
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
