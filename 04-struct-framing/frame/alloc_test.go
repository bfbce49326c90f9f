package frame_test

import (
	"bytes"
	"encoding/hex"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// TestFrameOfHelloworld shows, with -v, the bytes of the frame that
// carries "helloworld", as the README's table lists them.
func TestFrameOfHelloworld(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, frame.WriteBytes(&b, nil, []byte("helloworld")))
	t.Logf("the frame of %q, %d bytes:\n%s", "helloworld", b.Len(), hex.Dump(b.Bytes()))
	want := "10000000" + hex.EncodeToString([]byte(`{"data_size":10}`)) + hex.EncodeToString([]byte("helloworld"))
	assert.Equal(t, want, hex.EncodeToString(b.Bytes()))
}

// TestSmallFrameAllocations keeps the README's figure for a small frame
// honest: writing and reading back "helloworld" takes about two dozen
// allocations (encoding/json's), and never more than 30.
func TestSmallFrameAllocations(t *testing.T) {
	msg := []byte("helloworld")
	var buf bytes.Buffer
	allocs := testing.AllocsPerRun(1000, func() {
		buf.Reset()
		if err := frame.WriteBytes(&buf, nil, msg); err != nil {
			t.Fatal(err)
		}
		if _, _, err := frame.ReadBytes(&buf, 1<<10); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.0f allocations per frame", allocs)
	assert.LessOrEqual(t, allocs, 30.0, "allocations to write and read one small frame")
}

// TestStreamingHeapDoesNotGrowWithTheBody keeps the README's streaming
// claim honest: reading a frame and copying its body costs the same heap
// for 1 MiB as for 64 MiB, a few dozen KiB (io.Copy's 32 KiB buffer and
// the header), not the body's size.
func TestStreamingHeapDoesNotGrowWithTheBody(t *testing.T) {
	heap := func(size int64) uint64 {
		hdr, err := frame.EncodeHeader(nil, size)
		require.NoError(t, err)
		r := io.MultiReader(bytes.NewReader(hdr), io.LimitReader(zeros{}, size))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		h, err := frame.ReadHeader(r)
		require.NoError(t, err)
		var w countWriter
		_, err = io.Copy(&w, h.Body(r))
		runtime.ReadMemStats(&after)
		require.NoError(t, err)
		require.Equal(t, size, w.n)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := heap(1<<20), heap(64<<20)
	t.Logf("heap allocated: %d bytes for a 1 MiB body, %d for 64 MiB", small, large)
	assert.Less(t, large, uint64(64<<10), "heap allocated to stream a 64 MiB body")
	assert.Less(t, small, uint64(64<<10), "heap allocated to stream a 1 MiB body")
}
