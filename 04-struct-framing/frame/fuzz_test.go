package frame_test

import (
	"bytes"
	"errors"
	"io"
	"runtime/metrics"
	"testing"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// maxAllocPerFrame bounds the heap bytes that reading one frame may
// allocate, whatever the input: the header buffer (at most MaxHeaderSize),
// its parse (proportional to the header, so to MaxHeaderSize) and a few
// small objects. Nothing may grow with data_size. The metric that measures
// it counts small objects a span at a time, hence the slack.
const maxAllocPerFrame = 32 * frame.MaxHeaderSize

// heapAllocBytes returns the bytes allocated on the heap so far by the
// whole process.
func heapAllocBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// countingReader counts the bytes it hands out.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FuzzReadFrame feeds arbitrary bytes to Reader.Next and checks that it
// never panics, never allocates more than a fixed bound per frame, never
// reads a byte past the frame the header declares, returns each header
// exactly as it was on the wire, and fails only with the documented errors.
func FuzzReadFrame(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzReadFrame.
	f.Add(mustFrame(f, nil, []byte("helloworld")))
	f.Add(append(mustFrame(f, nil, []byte("helloworld")), mustFrame(f, nil, []byte("SB"))...))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		checkReadBytes(t, data)
		cr := &countingReader{r: bytes.NewReader(data)}
		fr := frame.NewReader(cr)
		var pos int64 // where the current frame starts in data
		for i := 0; ; i++ {
			before := heapAllocBytes()
			h, body, err := fr.Next()
			if err != nil {
				checkReadErr(t, data, pos, err)
				return
			}
			if len(h.Raw) > frame.MaxHeaderSize {
				t.Fatalf("frame %d: len(Raw) = %d, over MaxHeaderSize %d", i, len(h.Raw), frame.MaxHeaderSize)
			}
			hdrEnd := pos + frame.PrefixSize + int64(len(h.Raw))
			if cr.n != hdrEnd {
				t.Fatalf("frame %d: after the header %d bytes were read, want exactly %d", i, cr.n, hdrEnd)
			}
			if !bytes.Equal(h.Raw, data[pos+frame.PrefixSize:hdrEnd]) {
				t.Fatalf("frame %d: Raw = %q, want the wire bytes %q", i, h.Raw, data[pos+frame.PrefixSize:hdrEnd])
			}
			if h.DataSize < 0 {
				t.Fatalf("frame %d: DataSize = %d, negative", i, h.DataSize)
			}
			// Read half the body on odd frames and leave the rest to Next,
			// which must skip exactly what is left.
			want := h.DataSize
			if i%2 == 1 {
				want /= 2
			}
			n, err := io.Copy(io.Discard, io.LimitReader(body, want))
			avail := int64(len(data)) - hdrEnd
			if err != nil || n != min(want, avail) {
				if !errors.Is(err, io.ErrUnexpectedEOF) || avail >= want {
					t.Fatalf("frame %d: body copy = %d, %v; want %d bytes (%d available)", i, n, err, want, avail)
				}
			}
			if frameEnd := hdrEnd + h.DataSize; frameEnd >= hdrEnd && cr.n > frameEnd { // skip if it overflows
				t.Fatalf("frame %d: read %d bytes, past the frame's end at %d", i, cr.n, frameEnd)
			}
			if got := heapAllocBytes() - before; got > maxAllocPerFrame {
				t.Fatalf("frame %d: reading it allocated %d bytes, limit %d (data_size %d)", i, got, maxAllocPerFrame, h.DataSize)
			}
			if avail < h.DataSize {
				// The body is cut short: the next call must say so.
				_, _, err := fr.Next()
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("frame %d: Next after a truncated body = %v, want io.ErrUnexpectedEOF", i, err)
				}
				return
			}
			pos = hdrEnd + h.DataSize
		}
	})
}

// checkReadBytes checks that ReadBytes, with a limit far above any input,
// returns the first frame's body exactly as it is on the wire and allocates
// in proportion to the bytes that arrive, not to the size the header
// declares.
func checkReadBytes(t *testing.T, data []byte) {
	t.Helper()
	before := heapAllocBytes()
	h, body, err := frame.ReadBytes(bytes.NewReader(data), 1<<62)
	if got, limit := heapAllocBytes()-before, uint64(maxAllocPerFrame+2*len(data)); got > limit {
		t.Fatalf("ReadBytes allocated %d bytes for %d bytes of input (data_size %d), limit %d", got, len(data), h.DataSize, limit)
	}
	start := frame.PrefixSize + int64(len(h.Raw))
	switch {
	case err != nil && h.Raw == nil: // the header was bad or cut short
		checkReadErr(t, data, 0, err)
		return
	case errors.Is(err, frame.ErrBodyTooLarge):
		if h.DataSize <= 1<<62 {
			t.Fatalf("ReadBytes = %v for data_size %d, under the limit", err, h.DataSize)
		}
		return
	case errors.Is(err, io.ErrUnexpectedEOF):
		if int64(len(data))-start >= h.DataSize {
			t.Fatalf("ReadBytes = %v with the whole body of %d bytes present", err, h.DataSize)
		}
		return
	case err != nil:
		t.Fatalf("ReadBytes = %v, not one of the documented errors", err)
	}
	if want := data[start : start+h.DataSize]; !bytes.Equal(body, want) {
		t.Fatalf("ReadBytes body = %q, want %q", body, want)
	}
}

// checkReadErr checks that err, returned by Next for a frame starting at
// pos, is the one error the input calls for.
func checkReadErr(t *testing.T, data []byte, pos int64, err error) {
	t.Helper()
	rest := data[pos:]
	switch {
	case len(rest) == 0:
		if err != io.EOF {
			t.Fatalf("Next at the end of the input = %v, want io.EOF", err)
		}
	case len(rest) < frame.PrefixSize:
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Next with a %d-byte prefix = %v, want io.ErrUnexpectedEOF", len(rest), err)
		}
	default:
		// An independent reading of the prefix says which error is due.
		n := int64(int32(uint32(rest[0]) | uint32(rest[1])<<8 | uint32(rest[2])<<16 | uint32(rest[3])<<24))
		var want []error
		switch {
		case n < 0:
			want = []error{frame.ErrNegativeLength}
		case n > frame.MaxHeaderSize:
			want = []error{frame.ErrHeaderTooLarge}
		case int64(len(rest)) < frame.PrefixSize+n:
			want = []error{io.ErrUnexpectedEOF}
		default:
			want = []error{frame.ErrBadHeader, frame.ErrBadDataSize}
		}
		for _, w := range want {
			if errors.Is(err, w) {
				return
			}
		}
		t.Fatalf("Next with length prefix %d and %d bytes = %v, want one of %v", n, len(rest), err, want)
	}
}

// mustFrame encodes one frame or fails tb.
func mustFrame(tb testing.TB, hdr any, body []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := frame.WriteBytes(&b, hdr, body); err != nil {
		tb.Fatalf("WriteBytes(%v, %q) = %v", hdr, body, err)
	}
	return b.Bytes()
}
