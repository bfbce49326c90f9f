package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/quota"
	"github.com/gosockets/tutorial/07-ftp/xfer"
)

// errLoginFailed ends a session whose login failed.
var errLoginFailed = errors.New("login failed")

// session is one connection's state: who is logged in, their home and
// their current directory.
type session struct {
	srv  *Server
	conn net.Conn
	fr   *frame.Reader
	log  *slog.Logger

	user  string
	cwd   string // virtual absolute path, "/" is the home
	fs    *homefs.FS
	state *userState

	mu        sync.Mutex
	idle      bool // waiting for the next request
	cancelled bool // the server is shutting down
}

func newSession(srv *Server, conn net.Conn) *session {
	return &session{
		srv:  srv,
		conn: conn,
		fr:   frame.NewReader(bufio.NewReaderSize(conn, 64<<10)),
		log:  srv.Logger.With("remote", conn.RemoteAddr().String()),
		cwd:  "/",
	}
}

func (s *session) close() {
	if s.fs != nil {
		s.fs.Close()
	}
	if s.state != nil {
		s.state.leave()
	}
}

// interrupt is called when the server shuts down: a session waiting for a
// request ends now, one in the middle of a request ends after it.
func (s *session) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancelled = true
	if s.idle {
		s.conn.SetReadDeadline(time.Now())
	}
}

func (s *session) isCancelled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancelled
}

func (s *session) setIdle(idle bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idle = idle
	if idle && s.cancelled {
		s.conn.SetReadDeadline(time.Now())
	}
}

// next reads the next request, waiting as an idle session (a shutdown ends
// the wait). A malformed frame is answered (best effort) and returned as an
// error that ends the session.
func (s *session) next() (proto.Request, frame.Header, io.Reader, error) {
	return s.read(true)
}

// nextInTransfer reads the next frame of a transfer in progress (the data
// and end of an upload): a shutdown lets it finish within the grace period.
func (s *session) nextInTransfer() (proto.Request, frame.Header, io.Reader, error) {
	return s.read(false)
}

func (s *session) read(idle bool) (proto.Request, frame.Header, io.Reader, error) {
	if idle {
		s.setIdle(true)
	}
	h, body, err := s.fr.Next()
	if idle {
		s.setIdle(false)
	}
	if err != nil {
		if errors.Is(err, frame.ErrNegativeLength) || errors.Is(err, frame.ErrHeaderTooLarge) ||
			errors.Is(err, frame.ErrBadHeader) || errors.Is(err, frame.ErrBadDataSize) {
			s.reply(proto.Response{Code: proto.CodeBadReq, Error: "malformed frame: " + err.Error()})
			return proto.Request{}, h, nil, fmt.Errorf("malformed frame: %w", err)
		}
		return proto.Request{}, h, nil, err
	}
	req, err := proto.ParseRequest(h)
	return req, h, body, err
}

func (s *session) reply(resp proto.Response) error {
	return frame.WriteBytes(s.conn, resp, nil)
}

func (s *session) replyBody(resp proto.Response, body []byte) error {
	return frame.WriteBytes(s.conn, resp, body)
}

func (s *session) run(ctx context.Context) error {
	if err := s.login(ctx); err != nil {
		return err
	}
	for ctx.Err() == nil {
		req, h, body, err := s.next()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && !s.isCancelled() {
				// Tell a silent client why it is dropped.
				msg := "the session was idle too long and is closed"
				if t := s.srv.IdleTimeout; t > 0 {
					msg = fmt.Sprintf("the session was idle for %s and is closed", t)
				}
				s.conn.SetWriteDeadline(time.Now().Add(time.Second))
				s.reply(proto.Response{Code: proto.CodeTimeout, Error: msg})
				return fmt.Errorf("idle: %w", err)
			}
			if errors.Is(err, proto.ErrBadRequest) {
				s.log.Info("bad request", "err", err)
				if err := s.reply(proto.Response{Code: proto.CodeBadReq, Error: err.Error()}); err != nil {
					return err
				}
				continue
			}
			return err
		}
		if req.Op == proto.OpQuit {
			return s.reply(proto.Response{OK: true})
		}
		if err := s.dispatch(req, h, body); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// dispatch runs one request. It returns an error only when the session
// cannot go on; failures of the request itself are replies.
func (s *session) dispatch(req proto.Request, h frame.Header, body io.Reader) error {
	switch req.Op {
	case proto.OpPwd:
		return s.reply(proto.Response{OK: true, Path: s.cwd})
	case proto.OpCd:
		return s.cd(req)
	case proto.OpLs:
		return s.ls(req)
	case proto.OpMkdir:
		return s.mkdir(req)
	case proto.OpRm:
		return s.rm(req)
	case proto.OpQuota:
		used, limit := s.state.usage.Get()
		return s.reply(proto.Response{OK: true, Used: used, Limit: limit})
	case proto.OpPut:
		return s.put(req)
	case proto.OpGet:
		return s.get(req)
	default: // auth, data, end out of turn
		return s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("%s: not expected here", req.Op)})
	}
}

// fail replies with the error of a failed request, in words and as a code.
func (s *session) fail(op, p string, err error) error {
	return s.reply(s.failure(op, p, err))
}

// failure logs a failed request and returns its reply.
func (s *session) failure(op, p string, err error) proto.Response {
	code, text := describe(err)
	s.log.Info(op+" failed", "path", p, "err", text)
	return proto.Response{Code: code, Error: fmt.Sprintf("%s %s: %s", op, p, text)}
}

// describe classifies err. The text never contains a path on the server.
func describe(err error) (code, text string) {
	var pe *fs.PathError
	inner := err
	if errors.As(err, &pe) {
		inner = pe.Err
	}
	switch {
	case errors.Is(err, homefs.ErrOutside):
		return proto.CodePath, "path is outside your home directory"
	case errors.Is(err, homefs.ErrBadName):
		return proto.CodePath, err.Error()
	case errors.Is(err, quota.ErrExceeded):
		return proto.CodeQuota, err.Error()
	case errors.Is(err, homefs.ErrIsDir):
		return proto.CodeIsDir, "is a directory"
	case errors.Is(err, homefs.ErrNotDir), errors.Is(err, syscall.ENOTDIR):
		return proto.CodeNotDir, "not a directory"
	case errors.Is(err, homefs.ErrNotRegular):
		return proto.CodeNotReg, "not a regular file"
	case errors.Is(err, fs.ErrNotExist):
		return proto.CodeNotFound, "no such file or directory"
	case errors.Is(err, syscall.ENOTEMPTY): // before ErrExist, which matches it too
		return proto.CodeNotEmpty, "directory not empty"
	case errors.Is(err, fs.ErrExist):
		return proto.CodeExists, "already exists"
	case errors.Is(err, syscall.ENOSPC):
		return proto.CodeInternal, "no space left on the server's disk; what arrived is kept, run the same put again to resume when there is room"
	}
	return proto.CodeInternal, inner.Error()
}

func (s *session) resolve(p string) (string, error) {
	return homefs.Resolve(s.cwd, p)
}

func (s *session) cd(req proto.Request) error {
	v, err := s.resolve(req.Path)
	if err == nil {
		v, err = s.fs.Chdir(v)
	}
	if err != nil {
		return s.fail("cd", req.Path, err)
	}
	s.cwd = v
	return s.reply(proto.Response{OK: true, Path: v})
}

func (s *session) ls(req proto.Request) error {
	p := req.Path
	if p == "" {
		p = "."
	}
	v, err := s.resolve(p)
	var infos []os.FileInfo
	if err == nil {
		infos, err = s.fs.List(v)
	}
	if err != nil {
		return s.fail("ls", p, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, fi := range infos {
		e := proto.Entry{Type: "other", Size: fi.Size(), ModTime: fi.ModTime().UTC(), Name: fi.Name()}
		switch m := fi.Mode(); {
		case m.IsDir():
			e.Type, e.Size = "dir", 0
		case m.IsRegular():
			e.Type = "file"
		case m&fs.ModeSymlink != 0:
			e.Type = "link"
		}
		enc.Encode(e)
		if buf.Len() > proto.MaxListing {
			return s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("ls %s: directory too large to list (over %d bytes)", p, proto.MaxListing)})
		}
	}
	return s.replyBody(proto.Response{OK: true, Path: v}, buf.Bytes())
}

func (s *session) mkdir(req proto.Request) error {
	v, err := s.resolve(req.Path)
	if err == nil {
		err = s.fs.Mkdir(v)
	}
	if err != nil {
		return s.fail("mkdir", req.Path, err)
	}
	s.log.Info("mkdir", "path", v)
	return s.reply(proto.Response{OK: true, Path: v})
}

func (s *session) rm(req proto.Request) error {
	v, err := s.resolve(req.Path)
	if err != nil {
		return s.fail("rm", req.Path, err)
	}
	s.state.mu.Lock()
	freed, err := s.fs.Remove(v)
	if err == nil {
		s.state.usage.Release(freed)
	}
	s.state.mu.Unlock()
	if err != nil {
		return s.fail("rm", req.Path, err)
	}
	s.log.Info("rm", "path", v, "freed", freed)
	return s.reply(proto.Response{OK: true, Path: v})
}

// put receives an upload: it reserves the announced size against the
// quota before any data flows, writes into a part file through a writer
// that stops at the reservation, checks the client's SHA-256 against its
// own, syncs, and only then renames the part file over the target.
func (s *session) put(req proto.Request) error {
	v, err := s.resolve(req.Path)
	if err == nil {
		_, err = s.fs.CheckTarget(v)
	}
	if err != nil {
		return s.fail("put", req.Path, err)
	}
	if !s.state.startWriting(v) {
		return s.reply(proto.Response{Code: proto.CodeBusy, Error: fmt.Sprintf("put %s: busy: another session is uploading this file", req.Path)})
	}
	resp, err := s.receive(req, v)
	// The file is free for other writers before the client hears the end.
	s.state.doneWriting(v)
	if err != nil {
		return err
	}
	return s.reply(resp)
}

// receive runs an upload to v whose target was checked and whose writer
// slot is held. It returns the final reply, or an error if the session
// cannot go on.
//
// The part file of an earlier, interrupted upload is kept and offered to
// the client: the reply carries its size as the offset and the SHA-256 of
// its bytes, and the client either continues from there or starts over.
// A part file longer than the announced size cannot be a prefix and is
// discarded. If this upload is interrupted in turn (the connection breaks,
// the disk fills up), its part file is kept for the next resume and stays
// counted against the quota; if it fails for any other reason (checksum,
// size, quota, a malformed frame) the part file is removed.
func (s *session) receive(req proto.Request, v string) (proto.Response, error) {
	f, have, err := s.fs.OpenPart(v)
	if err != nil {
		return s.failure("put", req.Path, err), nil
	}
	// The part's bytes are already counted: measured at the first login or
	// left counted by the upload that was interrupted.
	var discarded int64
	if have > 0 && (req.Fresh || have > req.Size) {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return s.failure("put", req.Path, err), nil
		}
		s.state.usage.Release(have)
		s.log.Info("put: part file discarded", "path", v, "bytes", have, "fresh", req.Fresh, "size", req.Size)
		discarded, have = have, 0
	}
	sum := sha256.New()
	prefix := ""
	if have > 0 {
		if _, err := io.Copy(sum, io.NewSectionReader(f, 0, have)); err != nil {
			f.Close()
			return s.failure("put", req.Path, err), nil
		}
		prefix = hex.EncodeToString(sum.Sum(nil))
	}
	if err := s.state.usage.Reserve(req.Size - have); err != nil {
		f.Close()
		return s.failure("put", req.Path, err), nil
	}
	accounted := req.Size // the part's bytes and the reservation
	keep, committed := true, false
	defer func() {
		if committed {
			return
		}
		var size int64 = -1
		if keep {
			if fi, err := f.Stat(); err == nil {
				size = fi.Size()
			}
		}
		f.Close()
		if size < 0 {
			s.fs.RemovePart(v)
			size = 0
		} else {
			s.log.Info("put interrupted: part file kept for resume", "path", v, "bytes", size, "of", req.Size)
		}
		s.state.usage.Release(accounted - size)
	}()
	if err := s.reply(proto.Response{OK: true, Path: v, Offset: have, SHA256: prefix, Discarded: discarded}); err != nil {
		return proto.Response{}, err
	}

	start := time.Now()
	dreq, _, body, err := s.nextInTransfer()
	if err != nil {
		keep = !isMalformed(err)
		return proto.Response{}, fmt.Errorf("put %s: reading data: %w", v, err)
	}
	if dreq.Op != proto.OpData {
		s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("put %s: expected data, got %s", req.Path, dreq.Op)})
		return proto.Response{}, fmt.Errorf("put %s: expected data, got %s", v, dreq.Op)
	}
	from := dreq.Offset
	switch {
	case from == have:
	case from == 0:
		// The client's file differs from the part: start over.
		if err := f.Truncate(0); err != nil {
			keep = false
			return proto.Response{}, fmt.Errorf("put %s: truncating part: %w", v, err)
		}
		sum.Reset()
		s.log.Info("put: part file discarded, the client's file differs", "path", v, "bytes", have)
	default:
		s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf(
			"put %s: data must start at offset %d or 0, not %d", req.Path, have, from)})
		return proto.Response{}, fmt.Errorf("put %s: data at offset %d, offered %d", v, from, have)
	}
	var w io.Writer = homefs.NewPartWriter(f, from)
	if s.srv.WrapPartWriter != nil {
		w = s.srv.WrapPartWriter(w)
	}
	n, werr, rerr := xfer.Copy(quota.LimitWriter(w, req.Size-from), body, sum, func(err error) bool { return errors.Is(err, quota.ErrExceeded) })
	if rerr != nil {
		return proto.Response{}, fmt.Errorf("put %s: connection failed after %d bytes: %w", v, n, rerr)
	}
	if errors.Is(werr, quota.ErrExceeded) {
		// The client sent more than it reserved: stop it at the limit.
		// The rest of its data is not read, so the session cannot go on.
		keep = false
		s.fail("put", req.Path, werr)
		return proto.Response{}, fmt.Errorf("put %s: %w", v, werr)
	}
	ereq, _, _, err := s.nextInTransfer()
	if err != nil {
		keep = !isMalformed(err)
		return proto.Response{}, fmt.Errorf("put %s: reading end: %w", v, err)
	}
	if ereq.Op != proto.OpEnd {
		keep = false
		s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("put %s: expected end, got %s", req.Path, ereq.Op)})
		return proto.Response{}, fmt.Errorf("put %s: expected end, got %s", v, ereq.Op)
	}
	if werr != nil {
		// The disk is full, or failing: what was written stays in the
		// part file for a resume once there is room.
		return s.failure("put", req.Path, werr), nil
	}
	keep = false
	got := hex.EncodeToString(sum.Sum(nil))
	switch {
	case n != req.Size-from:
		return proto.Response{Code: proto.CodeChecksum, Error: fmt.Sprintf(
			"put %s: size mismatch: announced %d bytes, received %d; the file was not stored", req.Path, req.Size, from+n)}, nil
	case ereq.SHA256 != got:
		s.log.Warn("put checksum mismatch", "path", v, "client", ereq.SHA256, "server", got)
		return proto.Response{Code: proto.CodeChecksum, Error: fmt.Sprintf(
			"put %s: checksum mismatch: client sent sha256 %s, server received data with sha256 %s; the file was not stored",
			req.Path, ereq.SHA256, got)}, nil
	}
	streamed := time.Since(start)
	if err := f.Sync(); err != nil {
		keep = true
		return s.failure("put", req.Path, err), nil
	}
	synced := time.Since(start) - streamed
	s.state.mu.Lock()
	replaced, err := s.fs.Commit(v, got)
	if err == nil {
		committed = true
		f.Close()
		s.state.usage.Release(replaced)
	}
	s.state.mu.Unlock()
	if err != nil {
		return s.failure("put", req.Path, err), nil
	}
	s.log.Info("put", "path", v, "bytes", req.Size, "sent", n, "resumed_at", from, "sha256", got, "took", time.Since(start).Round(time.Millisecond),
		"streaming", streamed.Round(time.Millisecond), "fsync", synced.Round(time.Millisecond))
	return proto.Response{OK: true, Path: v, Size: req.Size, SHA256: got}, nil
}

// deadlineWriter gives each write its own deadline.
type deadlineWriter struct {
	c       net.Conn
	timeout time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.c.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.c.Write(p)
}

// isMalformed reports whether err is a frame that breaks the protocol (as
// opposed to a connection that broke).
func isMalformed(err error) bool {
	return errors.Is(err, frame.ErrNegativeLength) || errors.Is(err, frame.ErrHeaderTooLarge) ||
		errors.Is(err, frame.ErrBadHeader) || errors.Is(err, frame.ErrBadDataSize) || errors.Is(err, proto.ErrBadRequest)
}

// get sends a regular file: a reply that announces its size, the bytes as
// the reply's body, then a trailer with the SHA-256 of the whole file. The
// checksum recorded when the file was uploaded is used if the file has not
// changed since; otherwise the file is hashed while it is sent.
func (s *session) get(req proto.Request) error {
	v, err := s.resolve(req.Path)
	var f *os.File
	var fi os.FileInfo
	if err == nil {
		f, fi, err = s.fs.OpenFile(v)
	}
	if err != nil {
		return s.fail("get", req.Path, err)
	}
	defer f.Close()
	size := fi.Size()
	if req.Offset > 0 && req.SHA256 == "" {
		return s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf(
			"get %s: an offset needs the sha256 of your first %d bytes", req.Path, req.Offset)})
	}
	start := time.Now()
	known, ok := s.fs.Sum(v, fi)
	// A resume: continue from the client's offset only if its bytes hash
	// to the same digest as ours; otherwise send the whole file.
	var off, discarded int64
	var prefix hash.Hash
	if req.Offset > 0 {
		if req.Offset <= size {
			prefix = sha256.New()
			if _, err := io.Copy(prefix, io.NewSectionReader(f, 0, req.Offset)); err != nil {
				return s.fail("get", req.Path, err)
			}
			if hex.EncodeToString(prefix.Sum(nil)) == req.SHA256 {
				off = req.Offset
			}
		}
		if off == 0 {
			discarded = req.Offset
			s.log.Info("get: the client's part file differs; sending the whole file", "path", v, "client_bytes", req.Offset, "size", size)
		}
	}
	var h hash.Hash
	if !ok {
		h = sha256.New()
		if off > 0 {
			h = prefix
		}
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return s.fail("get", req.Path, err)
	}
	if err := frame.WriteHeader(s.conn, proto.Response{OK: true, Path: v, Size: size, Offset: off, Discarded: discarded}, size-off); err != nil {
		return err
	}
	var n int64
	wt := s.srv.WriteTimeout
	if wt <= 0 {
		wt = time.Minute
	}
	if h != nil {
		var werr, rerr error
		n, werr, rerr = xfer.Copy(&deadlineWriter{s.conn, wt}, io.LimitReader(f, size-off), h, func(error) bool { return true })
		err = errors.Join(werr, rerr)
	} else {
		// Plain TCP: copy to the raw socket so io.Copy can use sendfile,
		// a chunk at a time, each with its own write deadline so that a
		// client that stops reading is dropped. (A *tls.Conn has a
		// NetConn method too, but its bytes must go through TLS.)
		var dst net.Conn = s.conn
		if _, isTLS := s.conn.(*tls.Conn); !isTLS {
			if nc, ok := s.conn.(interface{ NetConn() net.Conn }); ok {
				dst = nc.NetConn()
			}
		}
		for n < size-off && err == nil {
			dst.SetWriteDeadline(time.Now().Add(wt))
			var k int64
			k, err = io.CopyN(dst, f, min(size-off-n, 8<<20))
			n += k
			if errors.Is(err, io.EOF) {
				break // reported below as a file that shrank
			}
		}
		dst.SetWriteDeadline(time.Time{})
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err == nil && n < size-off {
		err = fmt.Errorf("file shrank while being sent: %d of %d bytes", n, size-off)
	}
	if err != nil {
		// The reply promised more bytes than can be sent: end the session.
		return fmt.Errorf("get %s: %w", v, err)
	}
	if h != nil {
		known = hex.EncodeToString(h.Sum(nil))
	}
	s.log.Info("get", "path", v, "bytes", n, "resumed_at", off, "sha256", known, "cached_sum", ok, "took", time.Since(start).Round(time.Millisecond))
	return s.reply(proto.Response{OK: true, Op: proto.OpEnd, SHA256: known})
}
