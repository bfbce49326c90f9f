package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
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

func (s *session) setIdle(idle bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idle = idle
	if idle && s.cancelled {
		s.conn.SetReadDeadline(time.Now())
	}
}

// next reads the next request. A malformed frame is answered (best effort)
// and returned as an error that ends the session.
func (s *session) next() (proto.Request, frame.Header, io.Reader, error) {
	s.setIdle(true)
	h, body, err := s.fr.Next()
	s.setIdle(false)
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
// cannot go on. Whatever happens, the part file and its reservation are
// gone afterwards unless the upload was committed.
func (s *session) receive(req proto.Request, v string) (proto.Response, error) {
	// A part left by an earlier, interrupted upload is replaced.
	s.state.usage.Release(s.fs.RemovePart(v))
	if err := s.state.usage.Reserve(req.Size); err != nil {
		return s.failure("put", req.Path, err), nil
	}
	f, err := s.fs.CreatePart(v)
	if err != nil {
		s.state.usage.Release(req.Size)
		return s.failure("put", req.Path, err), nil
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			s.fs.RemovePart(v)
			s.state.usage.Release(req.Size)
		}
	}()
	if err := s.reply(proto.Response{OK: true, Path: v, Offset: 0}); err != nil {
		return proto.Response{}, err
	}

	start := time.Now()
	dreq, _, body, err := s.next()
	if err != nil {
		return proto.Response{}, fmt.Errorf("put %s: reading data: %w", v, err)
	}
	if dreq.Op != proto.OpData {
		s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("put %s: expected data, got %s", req.Path, dreq.Op)})
		return proto.Response{}, fmt.Errorf("put %s: expected data, got %s", v, dreq.Op)
	}
	sum := sha256.New()
	n, werr, rerr := xfer.Copy(quota.LimitWriter(homefs.NewPartWriter(f, 0), req.Size), body, sum, func(err error) bool { return errors.Is(err, quota.ErrExceeded) })
	if rerr != nil {
		return proto.Response{}, fmt.Errorf("put %s: connection failed after %d bytes: %w", v, n, rerr)
	}
	if errors.Is(werr, quota.ErrExceeded) {
		// The client sent more than it reserved: stop it at the limit.
		// The rest of its data is not read, so the session cannot go on.
		s.fail("put", req.Path, werr)
		return proto.Response{}, fmt.Errorf("put %s: %w", v, werr)
	}
	ereq, _, _, err := s.next()
	if err != nil {
		return proto.Response{}, fmt.Errorf("put %s: reading end: %w", v, err)
	}
	if ereq.Op != proto.OpEnd {
		s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("put %s: expected end, got %s", req.Path, ereq.Op)})
		return proto.Response{}, fmt.Errorf("put %s: expected end, got %s", v, ereq.Op)
	}
	if werr != nil {
		return s.failure("put", req.Path, werr), nil
	}
	got := hex.EncodeToString(sum.Sum(nil))
	switch {
	case n != req.Size:
		return proto.Response{Code: proto.CodeChecksum, Error: fmt.Sprintf(
			"put %s: size mismatch: announced %d bytes, received %d; the file was not stored", req.Path, req.Size, n)}, nil
	case ereq.SHA256 != got:
		s.log.Warn("put checksum mismatch", "path", v, "client", ereq.SHA256, "server", got)
		return proto.Response{Code: proto.CodeChecksum, Error: fmt.Sprintf(
			"put %s: checksum mismatch: client sent sha256 %s, server received data with sha256 %s; the file was not stored",
			req.Path, ereq.SHA256, got)}, nil
	}
	streamed := time.Since(start)
	if err := f.Sync(); err != nil {
		return s.failure("put", req.Path, err), nil
	}
	synced := time.Since(start) - streamed
	if err := f.Close(); err != nil {
		return s.failure("put", req.Path, err), nil
	}
	s.state.mu.Lock()
	replaced, err := s.fs.Commit(v, got)
	if err == nil {
		committed = true
		s.state.usage.Release(replaced)
	}
	s.state.mu.Unlock()
	if err != nil {
		return s.failure("put", req.Path, err), nil
	}
	s.log.Info("put", "path", v, "bytes", n, "sha256", got, "took", time.Since(start).Round(time.Millisecond),
		"streaming", streamed.Round(time.Millisecond), "fsync", synced.Round(time.Millisecond))
	return proto.Response{OK: true, Path: v, Size: n, SHA256: got}, nil
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
	if req.Offset > size {
		return s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("get %s: offset %d is past the end (%d bytes)", req.Path, req.Offset, size)})
	}
	start := time.Now()
	known, ok := s.fs.Sum(v, fi)
	var h hash.Hash
	if !ok {
		h = sha256.New()
		if _, err := io.CopyN(h, f, req.Offset); err != nil {
			return s.fail("get", req.Path, err)
		}
	} else if _, err := f.Seek(req.Offset, io.SeekStart); err != nil {
		return s.fail("get", req.Path, err)
	}
	if err := frame.WriteHeader(s.conn, proto.Response{OK: true, Path: v, Size: size, Offset: req.Offset}, size-req.Offset); err != nil {
		return err
	}
	var n int64
	if h != nil {
		var werr, rerr error
		n, werr, rerr = xfer.Copy(s.conn, io.LimitReader(f, size-req.Offset), h, func(error) bool { return true })
		err = errors.Join(werr, rerr)
	} else {
		var dst io.Writer = s.conn
		if nc, ok := s.conn.(interface{ NetConn() net.Conn }); ok {
			dst = nc.NetConn() // lets io.Copy use sendfile; writes need no idle deadline
		}
		n, err = io.Copy(dst, io.LimitReader(f, size-req.Offset))
	}
	if err == nil && n < size-req.Offset {
		err = fmt.Errorf("file shrank while being sent: %d of %d bytes", n, size-req.Offset)
	}
	if err != nil {
		// The reply promised more bytes than can be sent: end the session.
		return fmt.Errorf("get %s: %w", v, err)
	}
	if h != nil {
		known = hex.EncodeToString(h.Sum(nil))
	}
	s.log.Info("get", "path", v, "bytes", n, "sha256", known, "cached_sum", ok, "took", time.Since(start).Round(time.Millisecond))
	return s.reply(proto.Response{OK: true, Op: proto.OpEnd, SHA256: known})
}
