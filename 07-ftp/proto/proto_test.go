package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

func header(t *testing.T, hdr any, size int64) frame.Header {
	t.Helper()
	b, err := frame.EncodeHeader(hdr, size)
	if err != nil {
		t.Fatal(err)
	}
	h, err := frame.ReadHeader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestParseRequest(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	good := []struct {
		hdr  any
		size int64
		want Request
	}{
		{Request{Op: OpPwd}, 0, Request{Op: OpPwd}},
		{Request{Op: OpLs}, 0, Request{Op: OpLs}},
		{Request{Op: OpPut, Path: "a/b", Size: 5}, 0, Request{Op: OpPut, Path: "a/b", Size: 5}},
		{Request{Op: OpMv, Path: "my notes", To: "d/"}, 0, Request{Op: OpMv, Path: "my notes", To: "d/"}},
		{Request{Op: OpData}, 1 << 40, Request{Op: OpData}},
		{Request{Op: OpEnd, SHA256: sum}, 0, Request{Op: OpEnd, SHA256: sum}},
		{Request{Op: OpAuth}, MaxAuthBody, Request{Op: OpAuth}},
		{map[string]any{"op": "pwd", "future": 1}, 0, Request{Op: OpPwd}},
	}
	for _, tt := range good {
		got, err := ParseRequest(header(t, tt.hdr, tt.size))
		if err != nil || got != tt.want {
			t.Errorf("ParseRequest(%+v) = %+v, %v; want %+v, nil", tt.hdr, got, err, tt.want)
		}
	}
	bad := []struct {
		name string
		hdr  any
		size int64
	}{
		{"unknown op", Request{Op: "rmrf"}, 0},
		{"no op", map[string]any{}, 0},
		{"missing path", Request{Op: OpGet}, 0},
		{"mv without a destination", Request{Op: OpMv, Path: "a"}, 0},
		{"mv without a source", Request{Op: OpMv, To: "a"}, 0},
		{"NUL in a destination", Request{Op: OpMv, Path: "a", To: "b\x00"}, 0},
		{"NUL in path", Request{Op: OpGet, Path: "a\x00b"}, 0},
		{"path too long", Request{Op: OpGet, Path: strings.Repeat("a", MaxPath+1)}, 0},
		{"negative size", Request{Op: OpPut, Path: "a", Size: -1}, 0},
		{"negative offset", Request{Op: OpGet, Path: "a", Offset: -1}, 0},
		{"bad sha", Request{Op: OpEnd, SHA256: "XYZ"}, 0},
		{"upper-case sha", Request{Op: OpEnd, SHA256: strings.Repeat("AB", 32)}, 0},
		{"body on pwd", Request{Op: OpPwd}, 1},
		{"auth body too big", Request{Op: OpAuth}, MaxAuthBody + 1},
		{"op is a number", map[string]any{"op": 5}, 0},
		{"size is a string", map[string]any{"op": "put", "path": "a", "size": "5"}, 0},
	}
	for _, tt := range bad {
		if got, err := ParseRequest(header(t, tt.hdr, tt.size)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("ParseRequest(%s) = %+v, %v; want ErrBadRequest", tt.name, got, err)
		}
	}
}

// FuzzParseRequest feeds arbitrary bytes through the frame reader and the
// request parser, as a hostile client would. Nothing may panic, and any
// request that is accepted must survive a round trip unchanged.
func FuzzParseRequest(f *testing.F) {
	for _, hdr := range []string{
		`{"op":"pwd"}`, `{"op":"put","path":"a","size":3}`, `{"op":"get","path":"../x"}`,
		`{"op":"end","sha256":"` + strings.Repeat("0", 64) + `"}`, `[1]`, `null`, `{"op":"ls","path":"a\u0000"}`,
		`{"op":"mv","path":"a b","to":"../c"}`,
	} {
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(hdr)+14))
		f.Add(append(b, hdr[:len(hdr)-1]+`,"data_size":0}`...))
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		h, err := frame.ReadHeader(bytes.NewReader(wire))
		if err != nil {
			return
		}
		req, err := ParseRequest(h)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("ParseRequest error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		again, err := ParseRequest(header(t, req, h.DataSize))
		if err != nil {
			t.Fatalf("re-encoded %+v is refused: %v", req, err)
		}
		if diff := cmp.Diff(req, again); diff != "" {
			t.Fatalf("round trip changed the request (-first +again):\n%s", diff)
		}
	})
}

func TestDecodeReply(t *testing.T) {
	refuse, _ := frame.EncodeHeader(Response{Code: CodeTLS, Error: "this server does not speak TLS (drop -tls)"}, 0)
	ok, _ := frame.EncodeHeader(Response{OK: true}, 0)
	for _, tc := range []struct {
		name string
		b    []byte
		code string
		good bool
	}{
		{"refusal", refuse, CodeTLS, true},
		{"truncated", refuse[:len(refuse)-1], "", false},
		{"success is not a failure", ok, "", false},
		{"short", []byte{1, 0}, "", false},
		{"huge length", []byte{0xff, 0xff, 0xff, 0x7f, '{'}, "", false},
		{"HTTP", []byte("HTTP/1.1 400 Bad Request\r\n"), "", false},
	} {
		r, good := DecodeReply(tc.b)
		if r.Code != tc.code || good != tc.good {
			t.Errorf("DecodeReply(%s) = code %q, %v; want %q, %v", tc.name, r.Code, good, tc.code, tc.good)
		}
	}
}

// FuzzDecodeReply: a TLS client decodes whatever a plaintext server sent
// it; nothing may panic.
func FuzzDecodeReply(f *testing.F) {
	refuse, _ := frame.EncodeHeader(Response{Code: CodeTLS, Error: "no TLS"}, 0)
	f.Add(refuse)
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0x05})
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeReply(b)
	})
}
