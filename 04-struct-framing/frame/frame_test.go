package frame_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// cmdHeader is a header with a field of its own besides data_size, the way
// chapter 05 sends a command's name.
type cmdHeader struct {
	Cmd      string `json:"cmd,omitempty"`
	DataSize int64  `json:"data_size"`
}

var roundTripCases = []struct {
	name string
	hdr  any
	body []byte
}{
	{"nil header, empty body", nil, nil},
	{"nil header", nil, []byte("helloworld")},
	{"struct header", cmdHeader{Cmd: "ls -l"}, []byte("total 0\n")},
	{"map header", map[string]any{"file": "a.txt", "n": 3}, []byte("abc")},
	{"stale data_size is replaced", map[string]any{"data_size": 999}, []byte("SB")},
	{"binary body", nil, []byte{0, 1, 2, 0xff, '\n', '{'}},
	{"utf-8 header", map[string]string{"msg": "粘包"}, []byte("粘包")},
	{"64 KiB body", nil, bytes.Repeat([]byte("x"), 64<<10)},
	{"body over 64 KiB", nil, bytes.Repeat([]byte("0123456789"), 10<<10)},
}

func TestRoundTrip(t *testing.T) {
	writers := []struct {
		name  string
		write func(w io.Writer, hdr any, body []byte) error
	}{
		{"WriteBytes", frame.WriteBytes},
		{"Write", func(w io.Writer, hdr any, body []byte) error {
			return frame.Write(w, hdr, int64(len(body)), bytes.NewReader(body))
		}},
		{"WriteHeader+body", func(w io.Writer, hdr any, body []byte) error {
			if err := frame.WriteHeader(w, hdr, int64(len(body))); err != nil {
				return err
			}
			_, err := w.Write(body)
			return err
		}},
	}
	for _, wr := range writers {
		for _, tc := range roundTripCases {
			t.Run(wr.name+"/"+tc.name, func(t *testing.T) {
				var wire bytes.Buffer
				require.NoError(t, wr.write(&wire, tc.hdr, tc.body))
				h, err := frame.ReadHeader(&wire)
				require.NoError(t, err)
				if h.DataSize != int64(len(tc.body)) {
					t.Errorf("DataSize = %d, want %d", h.DataSize, len(tc.body))
				}
				got, err := io.ReadAll(h.Body(&wire))
				require.NoError(t, err)
				if !bytes.Equal(got, tc.body) {
					t.Errorf("body = %.40q, want %.40q", got, tc.body)
				}
				if wire.Len() != 0 {
					t.Errorf("%d bytes left after the frame, want 0", wire.Len())
				}
				// The header's own fields survive, and data_size is the real size.
				var fields map[string]any
				require.NoError(t, h.Decode(&fields))
				want := map[string]any{}
				if tc.hdr != nil {
					b, _ := json.Marshal(tc.hdr)
					require.NoError(t, json.Unmarshal(b, &want))
				}
				want["data_size"] = float64(len(tc.body))
				if diff := cmp.Diff(want, fields); diff != "" {
					t.Errorf("decoded header mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestReadBytesRoundTrip(t *testing.T) {
	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			wire := mustFrame(t, tc.hdr, tc.body)
			h, got, err := frame.ReadBytes(bytes.NewReader(wire), 1<<20)
			require.NoError(t, err)
			if !bytes.Equal(got, tc.body) || h.DataSize != int64(len(tc.body)) {
				t.Errorf("ReadBytes = %d, %.40q; want %d, %.40q", h.DataSize, got, len(tc.body), tc.body)
			}
		})
	}
}

func TestHeaderDecodeIntoStruct(t *testing.T) {
	wire := mustFrame(t, cmdHeader{Cmd: "dir"}, []byte("abc"))
	h, err := frame.ReadHeader(bytes.NewReader(wire))
	require.NoError(t, err)
	var got cmdHeader
	require.NoError(t, h.Decode(&got))
	if want := (cmdHeader{Cmd: "dir", DataSize: 3}); got != want {
		t.Errorf("Decode = %+v, want %+v", got, want)
	}
}

// stream is several frames back to back, as one buffer, with the offsets
// at which each frame ends.
func stream(t *testing.T) (wire []byte, ends []int, bodies [][]byte) {
	t.Helper()
	bodies = [][]byte{
		[]byte("helloworld"),
		[]byte("SB"),
		{},
		[]byte(strings.Repeat("long message ", 40)),
		[]byte("last"),
	}
	for i, b := range bodies {
		wire = append(wire, mustFrame(t, map[string]int{"seq": i}, b)...)
		ends = append(ends, len(wire))
	}
	return wire, ends, bodies
}

// readerWrappers wrap a stream so that Read misbehaves in the ways the
// io.Reader contract allows.
var readerWrappers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"plain", func(r io.Reader) io.Reader { return r }},
	{"OneByteReader", iotest.OneByteReader},
	{"HalfReader", iotest.HalfReader},
	{"DataErrReader", iotest.DataErrReader},
	{"OneByte+DataErr", func(r io.Reader) io.Reader { return iotest.DataErrReader(iotest.OneByteReader(r)) }},
}

func TestBackToBackFrames(t *testing.T) {
	wire, _, bodies := stream(t)
	for _, rw := range readerWrappers {
		t.Run("Next/"+rw.name, func(t *testing.T) {
			fr := frame.NewReader(rw.wrap(bytes.NewReader(wire)))
			for i, want := range bodies {
				h, body, err := fr.Next()
				require.NoError(t, err, "frame %d", i)
				got, err := io.ReadAll(body)
				require.NoError(t, err, "frame %d body", i)
				if !bytes.Equal(got, want) {
					t.Errorf("frame %d body = %.40q, want %.40q", i, got, want)
				}
				var seq struct{ Seq int }
				require.NoError(t, h.Decode(&seq))
				if seq.Seq != i {
					t.Errorf("frame %d has seq %d", i, seq.Seq)
				}
			}
			if _, _, err := fr.Next(); err != io.EOF {
				t.Errorf("Next after the last frame = %v, want io.EOF", err)
			}
		})
		t.Run("ReadBytes/"+rw.name, func(t *testing.T) {
			r := rw.wrap(bytes.NewReader(wire))
			for i, want := range bodies {
				_, got, err := frame.ReadBytes(r, 1<<20)
				require.NoError(t, err, "frame %d", i)
				if !bytes.Equal(got, want) {
					t.Errorf("frame %d body = %.40q, want %.40q", i, got, want)
				}
			}
			if _, _, err := frame.ReadBytes(r, 1<<20); err != io.EOF {
				t.Errorf("ReadBytes after the last frame = %v, want io.EOF", err)
			}
		})
	}
}

// TestNextSkipsUnreadBody reads only part of each body (none, one byte,
// all but one) and checks that Next still lands on the next frame.
func TestNextSkipsUnreadBody(t *testing.T) {
	wire, _, bodies := stream(t)
	for _, keep := range []func(n int) int{
		func(int) int { return 0 },
		func(n int) int { return min(n, 1) },
		func(n int) int { return max(n-1, 0) },
	} {
		fr := frame.NewReader(iotest.OneByteReader(bytes.NewReader(wire)))
		for i, want := range bodies {
			_, body, err := fr.Next()
			require.NoError(t, err, "frame %d", i)
			n := keep(len(want))
			got := make([]byte, n)
			_, err = io.ReadFull(body, got)
			require.NoError(t, err)
			if !bytes.Equal(got, want[:n]) {
				t.Errorf("frame %d: first %d body bytes = %q, want %q", i, n, got, want[:n])
			}
		}
		if _, _, err := fr.Next(); err != io.EOF {
			t.Errorf("Next after the last frame = %v, want io.EOF", err)
		}
	}
}

// TestTruncatedAtEveryOffset cuts a stream of frames after every byte. A
// cut at a frame boundary is a clean end (io.EOF); any other cut is
// io.ErrUnexpectedEOF, whether it falls in a prefix, a header or a body.
func TestTruncatedAtEveryOffset(t *testing.T) {
	wire, ends, bodies := stream(t)
	boundary := map[int]int{0: 0} // offset -> frames complete before it
	for i, e := range ends {
		boundary[e] = i + 1
	}
	for _, rw := range readerWrappers {
		t.Run(rw.name, func(t *testing.T) {
			for cut := 0; cut <= len(wire); cut++ {
				fr := frame.NewReader(rw.wrap(bytes.NewReader(wire[:cut])))
				var complete int
				var err error
				for {
					var body io.Reader
					_, body, err = fr.Next()
					if err != nil {
						break
					}
					var got []byte
					got, err = io.ReadAll(body)
					if err != nil {
						break
					}
					if !bytes.Equal(got, bodies[complete]) {
						t.Fatalf("cut %d: frame %d body = %.40q, want %.40q", cut, complete, got, bodies[complete])
					}
					complete++
				}
				if n, ok := boundary[cut]; ok {
					if err != io.EOF || complete != n {
						t.Errorf("cut %d (boundary): %d frames then %v; want %d frames then io.EOF", cut, complete, err, n)
					}
				} else if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("cut %d (inside a frame): %d frames then %v; want io.ErrUnexpectedEOF", cut, complete, err)
				}
			}
		})
	}
}

func TestTruncatedReadBytesAtEveryOffset(t *testing.T) {
	wire := mustFrame(t, nil, []byte("helloworld"))
	for cut := 0; cut < len(wire); cut++ {
		_, _, err := frame.ReadBytes(iotest.OneByteReader(bytes.NewReader(wire[:cut])), 1<<10)
		want := io.ErrUnexpectedEOF
		if cut == 0 {
			want = io.EOF
		}
		if err != want {
			t.Errorf("ReadBytes(first %d of %d bytes) = %v, want %v", cut, len(wire), err, want)
		}
	}
}

// limitedSource fails the test if anyone reads past n bytes of it: the
// bytes after n belong to the next frame.
type limitedSource struct {
	t    *testing.T
	data []byte
	n    int
	off  int
}

func (s *limitedSource) Read(p []byte) (int, error) {
	if s.off+len(p) > s.n && s.off < len(s.data) {
		s.t.Errorf("Read asked for %d bytes at offset %d; the frame ends at %d", len(p), s.off, s.n)
	}
	n := copy(p, s.data[s.off:min(s.n, len(s.data))])
	s.off += n
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// TestNeverAsksForTheNextFrame checks more than that the bytes come out
// right: no Read call on the stream even asks for a byte beyond the frame.
func TestNeverAsksForTheNextFrame(t *testing.T) {
	first := mustFrame(t, nil, []byte("helloworld"))
	wire := append(first, mustFrame(t, nil, []byte("SB"))...)
	src := &limitedSource{t: t, data: wire, n: len(first)}

	h, err := frame.ReadHeader(src)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, h.Body(src)) // io.Copy reads with a 32 KiB buffer
	require.NoError(t, err)

	src = &limitedSource{t: t, data: wire, n: len(first)}
	_, body, err := frame.ReadBytes(src, 100)
	require.NoError(t, err)
	if string(body) != "helloworld" {
		t.Errorf("ReadBytes body = %q, want %q", body, "helloworld")
	}
}

func TestTypedErrors(t *testing.T) {
	le := func(n int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(n)) }
	withHeader := func(hdr string) []byte { return append(le(int32(len(hdr))), hdr...) }
	tests := []struct {
		name string
		wire []byte
		want error
	}{
		{"negative length", le(-1), frame.ErrNegativeLength},
		{"most negative length", le(-1 << 31), frame.ErrNegativeLength},
		{"header over the limit", le(frame.MaxHeaderSize + 1), frame.ErrHeaderTooLarge},
		{"header at 2 GiB", le(1<<31 - 1), frame.ErrHeaderTooLarge},
		{"empty header", le(0), frame.ErrBadHeader},
		{"header is an array", withHeader(`[{"data_size":1}]`), frame.ErrBadHeader},
		{"header is a string", withHeader(`"data_size"`), frame.ErrBadHeader},
		{"header is a number", withHeader(`5`), frame.ErrBadHeader},
		{"header is null", withHeader(`null`), frame.ErrBadHeader},
		{"header is not JSON", withHeader(`data_size=5`), frame.ErrBadHeader},
		{"header has trailing data", withHeader(`{"data_size":1}{}`), frame.ErrBadHeader},
		{"data_size missing", withHeader(`{"size":5}`), frame.ErrBadDataSize},
		{"data_size in other case", withHeader(`{"Data_Size":5}`), frame.ErrBadDataSize},
		{"data_size negative", withHeader(`{"data_size":-5}`), frame.ErrBadDataSize},
		{"data_size fractional", withHeader(`{"data_size":2.5}`), frame.ErrBadDataSize},
		{"data_size integral float", withHeader(`{"data_size":2.0}`), frame.ErrBadDataSize},
		{"data_size exponent", withHeader(`{"data_size":1e3}`), frame.ErrBadDataSize},
		{"data_size string", withHeader(`{"data_size":"5"}`), frame.ErrBadDataSize},
		{"data_size null", withHeader(`{"data_size":null}`), frame.ErrBadDataSize},
		{"data_size bool", withHeader(`{"data_size":true}`), frame.ErrBadDataSize},
		{"data_size object", withHeader(`{"data_size":{"n":5}}`), frame.ErrBadDataSize},
		{"data_size over int64", withHeader(`{"data_size":9223372036854775808}`), frame.ErrBadDataSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, rw := range readerWrappers {
				_, err := frame.ReadHeader(rw.wrap(bytes.NewReader(tt.wire)))
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: ReadHeader(%q) = %v, want errors.Is %v", rw.name, tt.wire, err, tt.want)
				}
				_, _, err = frame.NewReader(rw.wrap(bytes.NewReader(tt.wire))).Next()
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: Next(%q) = %v, want errors.Is %v", rw.name, tt.wire, err, tt.want)
				}
			}
		})
	}
}

func TestLimitsCheckedBeforeReading(t *testing.T) {
	// Only the prefix is present: a reader that allocated or waited for the
	// announced header would report io.ErrUnexpectedEOF instead.
	for _, n := range []int32{-1, frame.MaxHeaderSize + 1} {
		wire := binary.LittleEndian.AppendUint32(nil, uint32(n))
		src := &countingReader{r: bytes.NewReader(append(wire, "more bytes"...))}
		_, err := frame.ReadHeader(src)
		if errors.Is(err, io.ErrUnexpectedEOF) || err == nil {
			t.Errorf("ReadHeader(prefix %d) = %v, want a limit error", n, err)
		}
		if src.n != frame.PrefixSize {
			t.Errorf("ReadHeader(prefix %d) read %d bytes, want only the %d of the prefix", n, src.n, frame.PrefixSize)
		}
	}
}

func TestLargestHeaderAccepted(t *testing.T) {
	pad := strings.Repeat("x", frame.MaxHeaderSize-len(`{"data_size":0,"p":""}`))
	hdr := map[string]string{"p": pad}
	wire := mustFrame(t, hdr, nil)
	if got := len(wire) - frame.PrefixSize; got != frame.MaxHeaderSize {
		t.Fatalf("header is %d bytes, want exactly MaxHeaderSize %d", got, frame.MaxHeaderSize)
	}
	h, err := frame.ReadHeader(bytes.NewReader(wire))
	require.NoError(t, err)
	if len(h.Raw) != frame.MaxHeaderSize {
		t.Errorf("len(Raw) = %d, want %d", len(h.Raw), frame.MaxHeaderSize)
	}

	hdr["p"] += "x"
	if _, err := frame.EncodeHeader(hdr, 0); !errors.Is(err, frame.ErrHeaderTooLarge) {
		t.Errorf("EncodeHeader(header of MaxHeaderSize+1 bytes) = %v, want ErrHeaderTooLarge", err)
	}
}

func TestEncodeHeaderErrors(t *testing.T) {
	var nilPtr *cmdHeader
	tests := []struct {
		name string
		hdr  any
		size int64
		want error // nil means success
	}{
		{"negative size", nil, -1, frame.ErrBadDataSize},
		{"slice header", []int{1}, 0, frame.ErrBadHeader},
		{"string header", "cmd", 0, frame.ErrBadHeader},
		{"number header", 5, 0, frame.ErrBadHeader},
		{"nil pointer is no fields", nilPtr, 3, nil},
		{"nil map is no fields", map[string]int(nil), 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := frame.EncodeHeader(tt.hdr, tt.size)
			if tt.want == nil {
				require.NoError(t, err)
				if got, want := string(b[frame.PrefixSize:]), fmt.Sprintf(`{"data_size":%d}`, tt.size); got != want {
					t.Errorf("EncodeHeader header = %s, want %s", got, want)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("EncodeHeader(%#v, %d) = %v, want errors.Is %v", tt.hdr, tt.size, err, tt.want)
			}
		})
	}
	if _, err := frame.EncodeHeader(map[string]any{"f": func() {}}, 0); err == nil {
		t.Error("EncodeHeader(header holding a func) = nil error, want a marshal error")
	}
}

func TestWriteShortBody(t *testing.T) {
	var wire bytes.Buffer
	err := frame.Write(&wire, nil, 10, strings.NewReader("hello"))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Write(size 10, 5-byte body) = %v, want io.ErrUnexpectedEOF", err)
	}
	if err := frame.Write(&wire, nil, 1, nil); err == nil {
		t.Error("Write(size 1, nil body) = nil error, want an error")
	}
}

func TestWriteTakesOnlySizeBytes(t *testing.T) {
	var wire bytes.Buffer
	body := strings.NewReader("helloworldSB")
	require.NoError(t, frame.Write(&wire, nil, 10, body))
	if body.Len() != 2 {
		t.Errorf("Write left %d bytes of the body, want 2", body.Len())
	}
	_, got, err := frame.ReadBytes(&wire, 100)
	require.NoError(t, err)
	if string(got) != "helloworld" {
		t.Errorf("body = %q, want %q", got, "helloworld")
	}
}

// writeCounter counts Write calls.
type writeCounter struct {
	bytes.Buffer
	calls int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.calls++
	return w.Buffer.Write(p)
}

func TestWriteBytesSmallFrameIsOneWrite(t *testing.T) {
	var w writeCounter
	require.NoError(t, frame.WriteBytes(&w, nil, []byte("helloworld")))
	if w.calls != 1 {
		t.Errorf("WriteBytes of a small frame made %d Write calls, want 1", w.calls)
	}
}

func TestReadBytesBodyTooLargeLosesNothing(t *testing.T) {
	wire := append(mustFrame(t, nil, []byte("helloworld")), mustFrame(t, nil, []byte("SB"))...)
	r := bytes.NewReader(wire)
	h, _, err := frame.ReadBytes(r, 5)
	if !errors.Is(err, frame.ErrBodyTooLarge) {
		t.Fatalf("ReadBytes(10-byte body, limit 5) = %v, want ErrBodyTooLarge", err)
	}
	// The stream sits at the refused body: skip it and carry on.
	_, err = io.CopyN(io.Discard, r, h.DataSize)
	require.NoError(t, err)
	_, got, err := frame.ReadBytes(r, 5)
	require.NoError(t, err)
	if string(got) != "SB" {
		t.Errorf("next frame's body = %q, want %q", got, "SB")
	}
}

func TestBodyReportsUnexpectedEOF(t *testing.T) {
	wire := mustFrame(t, nil, []byte("helloworld"))
	r := bytes.NewReader(wire[:len(wire)-3])
	h, err := frame.ReadHeader(r)
	require.NoError(t, err)
	got, err := io.ReadAll(h.Body(r))
	if !errors.Is(err, io.ErrUnexpectedEOF) || string(got) != "hellowo" {
		t.Errorf("ReadAll(body cut 3 bytes short) = %q, %v; want %q, io.ErrUnexpectedEOF", got, err, "hellowo")
	}
}

func TestHeapAllocMetricSeesAllocation(t *testing.T) {
	// The fuzz test bounds allocation with this metric; make sure it sees a
	// large allocation at all, or that bound would pass vacuously.
	before := heapAllocBytes()
	sink = make([]byte, 8<<20)
	if got := heapAllocBytes() - before; got < 8<<20 {
		t.Errorf("metric grew by %d bytes after an 8 MiB allocation", got)
	}
	sink = nil
}

var sink []byte
