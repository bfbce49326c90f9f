package xfer

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

func TestCopyHashesWhatWasWritten(t *testing.T) {
	data := make([]byte, 3*ChunkSize+123)
	rand.Read(data)
	for _, name := range []string{"whole", "one byte at a time"} {
		src := bytes.NewReader(data)
		var r = iotest.HalfReader(src)
		if name == "whole" {
			r = src
		}
		var dst bytes.Buffer
		h := sha256.New()
		n, werr, rerr := Copy(&dst, r, h, nil)
		want := sha256.Sum256(data)
		if n != int64(len(data)) || werr != nil || rerr != nil || !bytes.Equal(dst.Bytes(), data) || !bytes.Equal(h.Sum(nil), want[:]) {
			t.Errorf("%s: Copy = %d, %v, %v; hash or bytes differ", name, n, werr, rerr)
		}
	}
}

type failAfter struct{ left int }

var errFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n := f.left
		f.left = 0
		return n, errFull
	}
	f.left -= len(p)
	return len(p), nil
}

func TestCopyDrainsAfterWriteErrorUnlessStopped(t *testing.T) {
	// more than the buffers can read ahead, so that a stopped Copy cannot
	// have read it all
	data := make([]byte, 2*Buffers*ChunkSize)
	src := bytes.NewReader(data)
	n, werr, rerr := Copy(&failAfter{left: 1000}, src, sha256.New(), nil)
	if n != 1000 || !errors.Is(werr, errFull) || rerr != nil || src.Len() != 0 {
		t.Errorf("Copy = %d, %v, %v with %d unread; want 1000, errFull, nil, all read", n, werr, rerr, src.Len())
	}
	src = bytes.NewReader(data)
	_, werr, _ = Copy(&failAfter{left: 1000}, src, sha256.New(), func(error) bool { return true })
	if !errors.Is(werr, errFull) || src.Len() == 0 {
		t.Errorf("stopped Copy read everything (%d unread) or lost the error %v", src.Len(), werr)
	}
}

func TestCopyReportsReadError(t *testing.T) {
	boom := errors.New("boom")
	_, _, rerr := Copy(&bytes.Buffer{}, iotest.ErrReader(boom), sha256.New(), nil)
	if !errors.Is(rerr, boom) {
		t.Errorf("read error = %v, want boom", rerr)
	}
}

// TestCopyWritesWhatArrivedBeforeAReadError: bytes read into a chunk that
// is not full yet when the source fails (a connection that breaks) are
// written and hashed, so a resume can start after them.
func TestCopyWritesWhatArrivedBeforeAReadError(t *testing.T) {
	boom := errors.New("boom")
	data := make([]byte, ChunkSize+1000)
	rand.Read(data)
	var dst bytes.Buffer
	h := sha256.New()
	n, werr, rerr := Copy(&dst, io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)), h, nil)
	want := sha256.Sum256(data)
	if n != int64(len(data)) || werr != nil || !errors.Is(rerr, boom) {
		t.Fatalf("Copy = %d, %v, %v; want %d, nil, boom", n, werr, rerr, len(data))
	}
	if !bytes.Equal(dst.Bytes(), data) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Error("the bytes written or their hash differ from what was read")
	}
}

// chunkRecorder is a ReaderFrom that records how much each call was given.
type chunkRecorder struct {
	bytes.Buffer
	calls []int64
}

func (c *chunkRecorder) ReadFrom(r io.Reader) (int64, error) {
	n, err := c.Buffer.ReadFrom(r)
	c.calls = append(c.calls, n)
	return n, err
}

func TestSendChunksArmsEachChunkAndKeepsTheCallersLimit(t *testing.T) {
	data := make([]byte, 2*KernelChunk+100)
	rand.Read(data)
	lr := &io.LimitedReader{R: bytes.NewReader(data), N: int64(len(data)) - 50}
	var dst chunkRecorder
	arms := 0
	n, err := SendChunks(&dst, lr, func() { arms++ })
	if err != nil || n != int64(len(data))-50 {
		t.Fatalf("SendChunks = %d, %v; want %d, nil", n, err, len(data)-50)
	}
	if want := []int64{KernelChunk, KernelChunk, 50}; !slices.Equal(dst.calls, want) || arms != 3 {
		t.Errorf("chunks %v with %d arms; want %v with 3", dst.calls, arms, want)
	}
	if lr.N != 0 || !bytes.Equal(dst.Bytes(), data[:len(data)-50]) {
		t.Errorf("caller's limit left at %d (want 0), or the bytes differ", lr.N)
	}
}
