// Package frame implements the length-prefixed framing of the course notes
// over a byte stream such as a TCP connection.
//
// A frame is three parts, back to back:
//
//	+----------------+---------------------------+----------------------+
//	| header length  | header: a JSON object      | body: data_size bytes |
//	| 4 bytes, int32 | holding at least data_size |                      |
//	| little-endian  |                           |                      |
//	+----------------+---------------------------+----------------------+
//
// The length prefix is what Python's struct.pack('i', n) writes on x86 and
// ARM, so the notes' Python programs and these Go programs talk to each other.
// The receiver reads exactly 4 bytes, then exactly the header, then exactly
// data_size bytes of body, and never a byte of the next frame.
//
// Bodies are streamed: [ReadHeader] returns as soon as the header is in, and
// the caller reads the body from [Header.Body] (or [Reader.Next]) with
// io.Copy, so a body of any size passes through in constant memory.
package frame

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// MaxHeaderSize is the largest header a reader accepts, in bytes. A length
// prefix above it is rejected before anything is allocated.
const MaxHeaderSize = 64 << 10

// PrefixSize is the size of the length prefix, in bytes.
const PrefixSize = 4

// DataSizeKey is the header field that declares the body's length.
const DataSizeKey = "data_size"

// Errors returned by the reading functions. Each is wrapped with detail;
// test for them with errors.Is.
var (
	// ErrNegativeLength means the length prefix, read as a signed
	// integer, is below zero.
	ErrNegativeLength = errors.New("frame: negative header length")
	// ErrHeaderTooLarge means the length prefix is above MaxHeaderSize.
	ErrHeaderTooLarge = errors.New("frame: header too large")
	// ErrBadHeader means the header is not a JSON object.
	ErrBadHeader = errors.New("frame: header is not a JSON object")
	// ErrBadDataSize means data_size is missing, negative, fractional or
	// not a number.
	ErrBadDataSize = errors.New("frame: bad data_size")
)

// Header is a frame's header as received.
type Header struct {
	// DataSize is the body length that the header declares.
	DataSize int64
	// Raw is the header's JSON object exactly as received, data_size
	// included. Decode it into a struct of your own with [Header.Decode].
	Raw json.RawMessage
}

// Decode unmarshals the header's JSON object into v. DataSize, not a
// field that Decode fills, is the body's length: encoding/json matches
// struct fields case-insensitively, so a header with both "data_size" and
// "Data_Size" could fill such a field from the wrong key.
func (h *Header) Decode(v any) error {
	if err := json.Unmarshal(h.Raw, v); err != nil {
		return fmt.Errorf("frame: decode header: %w", err)
	}
	return nil
}

// ReadHeader reads one frame's length prefix and header from r and leaves r
// positioned at the first byte of the body. The caller must then consume
// exactly h.DataSize bytes, for instance through [Body].
//
// At a clean end of stream, before the first byte of a frame, ReadHeader
// returns io.EOF. A stream that ends inside the prefix or the header gives
// io.ErrUnexpectedEOF. A bad prefix or header gives an error that wraps
// [ErrNegativeLength], [ErrHeaderTooLarge], [ErrBadHeader] or
// [ErrBadDataSize]. ReadHeader reads exactly 4 bytes and then exactly the
// header's length, never more, and allocates at most MaxHeaderSize bytes
// for the header whatever the input.
//
// After any error other than io.EOF the reader no longer knows where the
// next frame starts: close the stream.
func ReadHeader(r io.Reader) (Header, error) {
	var prefix [PrefixSize]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return Header{}, err // io.EOF only between frames
	}
	n := int32(binary.LittleEndian.Uint32(prefix[:]))
	switch {
	case n < 0:
		return Header{}, fmt.Errorf("%w: %d", ErrNegativeLength, n)
	case n > MaxHeaderSize:
		return Header{}, fmt.Errorf("%w: %d bytes, limit %d", ErrHeaderTooLarge, n, MaxHeaderSize)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Header{}, err
	}
	size, err := parseHeader(raw)
	if err != nil {
		return Header{}, err
	}
	return Header{DataSize: size, Raw: raw}, nil
}

// parseHeader checks that raw is a JSON object and returns its data_size,
// which must be a JSON integer (not a string, not a fraction, not an
// exponent) between 0 and math.MaxInt64.
func parseHeader(raw []byte) (int64, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return 0, fmt.Errorf("%w: %.64q", ErrBadHeader, raw)
	}
	v, ok := fields[DataSizeKey]
	if !ok {
		return 0, fmt.Errorf("%w: missing", ErrBadDataSize)
	}
	v = bytes.TrimSpace(v)
	// json.Unmarshal has already checked that v is one valid JSON value.
	// A number starts with '-' or a digit; anything else ("5", null, true,
	// an object) is not a number at all, however ParseInt or json.Number
	// would treat it.
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return 0, fmt.Errorf("%w: %.32s is not a number", ErrBadDataSize, v)
	}
	size, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %.32s is not a 64-bit integer", ErrBadDataSize, v)
	}
	if size < 0 {
		return 0, fmt.Errorf("%w: %d is negative", ErrBadDataSize, size)
	}
	return size, nil
}

// Body returns a reader of exactly h.DataSize bytes from r, the stream the
// header was read from. It never reads past the body, and if r ends early it
// reports io.ErrUnexpectedEOF instead of a short, silent io.EOF.
func (h Header) Body(r io.Reader) io.Reader {
	return &bodyReader{r: r, left: h.DataSize}
}

type bodyReader struct {
	r    io.Reader
	left int64
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err == io.EOF {
		if b.left > 0 {
			return n, io.ErrUnexpectedEOF
		}
		err = nil // the next call reports io.EOF
	}
	return n, err
}

// Reader reads a sequence of frames from a stream.
type Reader struct {
	r    io.Reader
	body *bodyReader
}

// NewReader returns a Reader of the frames in r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Next reads the next frame's header and returns it with a reader of its
// body. Any body bytes of the previous frame that the caller left unread are
// skipped first, so frames never run into each other.
func (fr *Reader) Next() (Header, io.Reader, error) {
	if fr.body != nil && fr.body.left > 0 {
		if _, err := io.Copy(io.Discard, fr.body); err != nil {
			return Header{}, nil, err
		}
	}
	h, err := ReadHeader(fr.r)
	if err != nil {
		return Header{}, nil, err
	}
	fr.body = &bodyReader{r: fr.r, left: h.DataSize}
	return h, fr.body, nil
}

// EncodeHeader returns the length prefix and JSON header for a frame whose
// body is size bytes long. hdr is any value that marshals to a JSON object
// (a struct, a map, or nil for none); data_size is set to size, replacing
// any data_size field that hdr has.
func EncodeHeader(hdr any, size int64) ([]byte, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: %d", ErrBadDataSize, size)
	}
	fields := map[string]json.RawMessage{}
	if hdr != nil {
		b, err := json.Marshal(hdr)
		if err != nil {
			return nil, fmt.Errorf("frame: encode header: %w", err)
		}
		if err := json.Unmarshal(b, &fields); err != nil {
			return nil, fmt.Errorf("%w: %T marshals to %.32s", ErrBadHeader, hdr, b)
		}
		if fields == nil { // hdr was a nil pointer or map: no fields
			fields = map[string]json.RawMessage{}
		}
	}
	fields[DataSizeKey] = json.RawMessage(fmt.Sprint(size))
	body, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("frame: encode header: %w", err)
	}
	if len(body) > MaxHeaderSize || len(body) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrHeaderTooLarge, len(body), MaxHeaderSize)
	}
	out := make([]byte, PrefixSize, PrefixSize+len(body))
	binary.LittleEndian.PutUint32(out, uint32(len(body)))
	return append(out, body...), nil
}

// WriteHeader writes the prefix and header of a frame whose body of size
// bytes the caller writes next. See [EncodeHeader] for hdr.
func WriteHeader(w io.Writer, hdr any, size int64) error {
	b, err := EncodeHeader(hdr, size)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Write writes a whole frame: the header, then exactly size bytes copied
// from body, never more, in constant memory. If body ends before size bytes,
// Write returns io.ErrUnexpectedEOF; the stream is then broken (the peer
// waits for bytes that will never come) and should be closed.
func Write(w io.Writer, hdr any, size int64, body io.Reader) error {
	if body == nil && size > 0 {
		return fmt.Errorf("frame: write: nil body for %d bytes", size)
	}
	if err := WriteHeader(w, hdr, size); err != nil {
		return err
	}
	if size == 0 {
		return nil
	}
	n, err := io.CopyN(w, body, size)
	if err == io.EOF && n < size {
		return io.ErrUnexpectedEOF
	}
	return err
}

// smallBody is the largest body that WriteBytes copies behind the header
// to write the frame in one call.
const smallBody = 64 << 10

// WriteBytes writes a frame whose body is p. A frame with a body of up to
// 64 KiB goes to w in one Write call, so that on a TCP connection a small
// frame leaves as one segment; a larger body is written after the header,
// without being copied.
func WriteBytes(w io.Writer, hdr any, p []byte) error {
	b, err := EncodeHeader(hdr, int64(len(p)))
	if err != nil {
		return err
	}
	if len(p) <= smallBody {
		_, err = w.Write(append(b, p...))
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	_, err = w.Write(p)
	return err
}

// ReadBytes reads one whole frame and returns its header and body, refusing
// a body larger than limit bytes before reading any of it. It suits small
// messages; stream large bodies with [ReadHeader] and [Header.Body] instead.
//
// On [ErrBodyTooLarge] the returned header is valid and r is positioned at
// the start of the unread body: skip it with io.CopyN(io.Discard, r,
// h.DataSize) to go on with the next frame, or close the stream.
//
// Memory grows with the bytes that actually arrive, not with the size the
// header declares, so a peer that announces a large body and sends nothing
// costs at most 64 KiB.
func ReadBytes(r io.Reader, limit int64) (Header, []byte, error) {
	h, err := ReadHeader(r)
	if err != nil {
		return Header{}, nil, err
	}
	if h.DataSize > limit {
		return h, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, h.DataSize, limit)
	}
	body := make([]byte, 0, min(h.DataSize, smallBody))
	for int64(len(body)) < h.DataSize {
		if len(body) == cap(body) {
			// Double the buffer, so that memory stays within twice the bytes
			// received and each byte is copied about once.
			body = append(make([]byte, 0, min(2*int64(cap(body)), h.DataSize)), body...)
		}
		end := min(int64(cap(body)), h.DataSize)
		n, err := io.ReadFull(r, body[len(body):end])
		body = body[:len(body)+n]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return h, nil, err
		}
	}
	return h, body, nil
}

// ErrBodyTooLarge is returned by [ReadBytes] for a body over its limit.
var ErrBodyTooLarge = errors.New("frame: body too large")
