// Package proto defines the messages that the ftp client and server exchange
// on top of chapter 04's frames.
//
// Every message is one frame: a JSON header that names the operation (a
// [Request]) or reports its outcome (a [Response]), and a body that carries
// bytes such as file contents, a SCRAM message or a directory listing.
//
// A session looks like this (C is the client, S the server):
//
//	C: {"op":"auth"}        body: SCRAM client-first message
//	S: {"ok":true}          body: SCRAM server-first message
//	C: {"op":"auth-final"}  body: SCRAM client-final message
//	S: {"ok":true}          body: SCRAM server-final message
//	C: {"op":"ls","path":"."}
//	S: {"ok":true}
//	S: {"ok":true,"op":"entries"}  body: JSON Entry lines, at most 32 KiB
//	S: {"ok":true,"op":"end","size":2}
//	C: {"op":"put","path":"a.txt","size":5}
//	S: {"ok":true,"offset":0}
//	C: {"op":"data"}        body: the 5 - offset bytes from offset on
//	C: {"op":"end","sha256":"…"}
//	S: {"ok":true,"size":5,"sha256":"…"}
//	C: {"op":"get","path":"a.txt"}
//	S: {"ok":true,"size":5,"offset":0} body: the bytes from offset on
//	S: {"ok":true,"op":"end","sha256":"…"}
//	C: {"op":"mv","path":"a.txt","to":"docs"}
//	S: {"ok":true,"path":"/docs/a.txt"}
//	C: {"op":"quit"}
//	S: {"ok":true}
//
// Every frame crosses through a [Conn], on either side; no other code
// reads or writes one.
//
// An interrupted transfer resumes. The server, not the client, says where
// an upload continues: the put reply carries the size of the part file it
// kept as "offset" and the SHA-256 of those bytes as "sha256"; the client
// hashes the same prefix of its file and sends data with "offset" set to
// that offset if the digests match, or to zero to start over (the server
// then truncates the part). A get that resumes sends the size of the
// client's part file as "offset" and the SHA-256 of its bytes as "sha256";
// the server answers with that offset if its own prefix has the same
// digest, and with offset 0 otherwise. A size alone is never trusted.
package proto

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// Operations a client can request.
const (
	OpAuth      = "auth"       // body: SCRAM client-first message
	OpAuthFinal = "auth-final" // body: SCRAM client-final message
	OpPwd       = "pwd"
	OpCd        = "cd"
	OpLs        = "ls"
	OpMkdir     = "mkdir"
	OpRm        = "rm"
	OpMv        = "mv"   // path: the name to move; to: where
	OpPut       = "put"  // followed by OpData and OpEnd
	OpData      = "data" // body: file bytes of an upload
	OpEnd       = "end"  // ends an upload or a download; carries the SHA-256
	OpGet       = "get"
	OpQuota     = "quota"
	OpQuit      = "quit"
)

// Limits on what a request may carry.
const (
	// MaxPath is the longest path a request may name, in bytes.
	MaxPath = 4096
	// MaxAuthBody is the largest SCRAM message accepted, in bytes.
	MaxAuthBody = 4096
)

// Error codes carried in [Response].Code, so a client can tell failures
// apart without matching message text.
const (
	CodeAuth     = "auth"       // login failed
	CodeBadReq   = "request"    // malformed or unknown request
	CodePath     = "path"       // path outside the home or not a valid name
	CodeNotFound = "notfound"   // no such file or directory
	CodeExists   = "exists"     // the name is taken
	CodeNotDir   = "notdir"     // a directory was needed
	CodeIsDir    = "isdir"      // a regular file was needed
	CodeNotReg   = "notregular" // not a regular file (FIFO, device)
	CodeNotEmpty = "notempty"   // directory not empty
	CodeQuota    = "quota"      // over the user's quota
	CodeChecksum = "checksum"   // SHA-256 mismatch
	CodeBusy     = "busy"       // another session is writing the same file
	CodeInternal = "internal"   // server-side failure
	CodeTimeout  = "timeout"    // the session was idle too long and is closed
	CodeTLS      = "tls"        // TLS on one side only (same value as tlsconf.Code)
)

// Request is the header of a client's message.
type Request struct {
	Op   string `json:"op"`
	Path string `json:"path,omitempty"`
	// Size is the full size of the file that a put announces.
	Size int64 `json:"size,omitempty"`
	// Offset is where a get should start (zero for the whole file), or,
	// on OpData, where the bytes of an upload start: the offset the server
	// offered, or zero to refuse it and start over.
	Offset int64 `json:"offset,omitempty"`
	// SHA256 is the lower-case hex SHA-256 of the whole file, sent with
	// OpEnd after the data. On a get with an Offset it is the SHA-256 of
	// the client's first Offset bytes, the proof that the client's part
	// file is a prefix of the server's file.
	SHA256 string `json:"sha256,omitempty"`
	// Fresh asks a put or get to ignore any part file and start over.
	Fresh bool `json:"fresh,omitempty"`
	// To is where mv moves Path.
	To string `json:"to,omitempty"`
}

// Response is the header of a server's reply.
type Response struct {
	OK     bool   `json:"ok"`
	Code   string `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
	Path   string `json:"path,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Offset int64  `json:"offset,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	User   string `json:"user,omitempty"`
	Used   int64  `json:"used,omitempty"`
	Limit  int64  `json:"limit,omitempty"`
	// Files and FilesLimit count the user's files, directories and part
	// files against their limit.
	Files      int64 `json:"files,omitempty"`
	FilesLimit int64 `json:"files_limit,omitempty"`
	// Op is set to OpEnd on the trailer that follows a download.
	Op string `json:"op,omitempty"`
	// Discarded is the size of a part file that the server threw away
	// because it could not belong to this transfer.
	Discarded int64 `json:"discarded,omitempty"`
}

// Entry is one line of a directory listing.
type Entry struct {
	// Type is "dir", "file", "link" or "other".
	Type    string    `json:"type"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	Name    string    `json:"name"`
}

// Error is a failure reported by the server.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Err returns the failure a response reports, or nil if it reports success.
func (r Response) Err() error {
	if r.OK {
		return nil
	}
	msg := r.Error
	if msg == "" {
		msg = "server reported failure"
	}
	return &Error{Code: r.Code, Msg: msg}
}

// ErrBadRequest is wrapped by every error of [ParseRequest].
var ErrBadRequest = errors.New("bad request")

// ParseRequest decodes and checks the header of a client's message. It
// accepts only known operations, with the fields and body size each one
// allows; a path is checked only for length, NUL bytes and valid UTF-8, as
// resolving it is the file system's job.
func ParseRequest(h frame.Header) (Request, error) {
	var req Request
	if err := h.Decode(&req); err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	bad := func(format string, args ...any) (Request, error) {
		return Request{}, fmt.Errorf("%w: %s: %s", ErrBadRequest, opName(req.Op), fmt.Sprintf(format, args...))
	}
	if req.Size < 0 || req.Offset < 0 {
		return bad("negative size or offset")
	}
	for _, p := range []string{req.Path, req.To} {
		if len(p) > MaxPath {
			return bad("path longer than %d bytes", MaxPath)
		}
		if strings.IndexByte(p, 0) >= 0 {
			return bad("path contains a NUL byte")
		}
		if !utf8.ValidString(p) {
			return bad("path is not valid UTF-8")
		}
	}
	if req.SHA256 != "" && !IsHexSHA256(req.SHA256) {
		return bad("sha256 must be 64 lower-case hex digits")
	}
	maxBody := int64(0)
	needPath := false
	switch req.Op {
	case OpAuth, OpAuthFinal:
		maxBody = MaxAuthBody
	case OpData:
		maxBody = -1 // any size; the server enforces the quota while reading
	case OpCd, OpMkdir, OpRm, OpPut, OpGet:
		needPath = true
	case OpMv:
		if req.To == "" {
			return bad("missing destination")
		}
		needPath = true
	case OpPwd, OpLs, OpQuota, OpQuit, OpEnd:
	default:
		return bad("unknown operation")
	}
	if needPath && req.Path == "" {
		return bad("missing path")
	}
	if maxBody >= 0 && h.DataSize > maxBody {
		return bad("body of %d bytes, limit %d", h.DataSize, maxBody)
	}
	return req, nil
}

func opName(op string) string {
	if op == "" {
		return "(no op)"
	}
	if len(op) > 32 || !utf8.ValidString(op) {
		return fmt.Sprintf("%.32q", op)
	}
	return op
}

// IsHexSHA256 reports whether s is a SHA-256 digest in lower-case hex.
func IsHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
