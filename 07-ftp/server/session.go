package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path"
	"time"

	"github.com/gosockets/tutorial/07-ftp/gate"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// session is one connection's conversation: who is logged in, their home
// and their current directory. It exists only while its connection does.
type session struct {
	srv    *Server
	pc     *proto.Conn
	log    *slog.Logger
	host   string // the client's address, without the port
	ticket *gate.Ticket

	home *store.Home // nil until login
	cwd  string      // virtual absolute path; "/" is the home
}

func (s *Server) newSession(conn net.Conn, remote string, ticket *gate.Ticket) *session {
	pc := proto.NewConn(conn)
	pc.ReadTimeout = s.IdleTimeout
	pc.HeaderTimeout = orDefault(s.HeaderTimeout, 10*time.Second)
	pc.WriteTimeout = orDefault(s.WriteTimeout, time.Minute)
	return &session{srv: s, pc: pc, log: s.log.With("remote", remote), host: remoteHost(remote), ticket: ticket, cwd: "/"}
}

func (s *session) close() {
	if s.home != nil {
		s.home.Close()
	}
}

// run is the conversation loop: log in, then answer one request after
// another. It returns nil or io.EOF when the client is done, or the error
// that ended the session.
func (s *session) run() error {
	if err := s.login(); err != nil {
		return err
	}
	for {
		req, _, err := s.pc.ReadRequest() // a body sent out of turn is skipped by the next read
		switch {
		case errors.Is(err, proto.ErrBadRequest):
			s.log.Info("bad request", "err", err)
			if err := s.reply(proto.Response{Code: proto.CodeBadReq, Error: err.Error()}); err != nil {
				return err
			}
			continue
		case err != nil:
			return s.readFailed(err)
		case req.Op == proto.OpQuit:
			return s.reply(proto.Response{OK: true})
		}
		h, ok := handlers[req.Op]
		if !ok { // auth, data or end out of turn
			h = (*session).outOfTurn
		}
		if err := h(s, req); err != nil {
			return err
		}
	}
}

// handlers are the scripts of the requests a logged-in session accepts.
// Each answers its request; it returns an error only when the session
// cannot go on.
var handlers = map[string]func(*session, proto.Request) error{
	proto.OpPwd:   (*session).pwd,
	proto.OpCd:    (*session).cd,
	proto.OpLs:    (*session).ls,
	proto.OpMkdir: (*session).mkdir,
	proto.OpRm:    (*session).rm,
	proto.OpMv:    (*session).mv,
	proto.OpQuota: (*session).quota,
	proto.OpPut:   (*session).put,
	proto.OpGet:   (*session).get,
}

// readFailed tells a client dropped for silence why, and returns err.
func (s *session) readFailed(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) && !s.pc.Interrupted() {
		msg := "the session was idle too long and is closed"
		if t := s.srv.IdleTimeout; t > 0 {
			msg = fmt.Sprintf("the session was idle for %s and is closed", t)
		}
		s.pc.NetConn().SetWriteDeadline(time.Now().Add(time.Second))
		s.pc.WriteResponse(proto.Response{Code: proto.CodeTimeout, Error: msg})
		return fmt.Errorf("idle: %w", err)
	}
	return err
}

func (s *session) reply(resp proto.Response) error { return s.pc.WriteResponse(resp) }

// fail replies with the error of a failed request, in words and as a code.
func (s *session) fail(op, p string, err error) error {
	code, text := describe(op, err)
	s.log.Info(op+" failed", "path", p, "err", text)
	return s.reply(proto.Response{Code: code, Error: fmt.Sprintf("%s %s: %s", op, p, text)})
}

func (s *session) outOfTurn(req proto.Request) error {
	return s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("%s: not expected here", req.Op)})
}

func (s *session) resolve(p string) (string, error) { return store.Resolve(s.cwd, p) }

func (s *session) pwd(proto.Request) error {
	return s.reply(proto.Response{OK: true, Path: s.cwd})
}

func (s *session) cd(req proto.Request) error {
	v, err := s.resolve(req.Path)
	if err == nil {
		v, err = s.home.Chdir(v)
	}
	if err != nil {
		return s.fail("cd", req.Path, err)
	}
	s.cwd = v
	return s.reply(proto.Response{OK: true, Path: v})
}

func (s *session) mkdir(req proto.Request) error {
	v, err := s.resolve(req.Path)
	if err == nil {
		err = s.home.Mkdir(v)
	}
	if err != nil {
		return s.fail("mkdir", req.Path, err)
	}
	s.log.Info("mkdir", "path", v)
	return s.reply(proto.Response{OK: true, Path: v})
}

func (s *session) rm(req proto.Request) error {
	v, err := s.resolve(req.Path)
	var freed int64
	if err == nil {
		freed, err = s.home.Remove(v)
	}
	if err != nil {
		return s.fail("rm", req.Path, err)
	}
	s.log.Info("rm", "path", v, "freed", freed)
	return s.reply(proto.Response{OK: true, Path: v})
}

// mv moves a name within the home; a destination that is a directory
// receives it under its own name, as mv(1) does.
func (s *session) mv(req proto.Request) error {
	from, err := s.resolve(req.Path)
	var to string
	if err == nil {
		to, err = s.resolve(req.To)
	}
	if err == nil {
		if e, serr := s.home.Stat(to); serr == nil && e.Type == "dir" {
			to = path.Join(to, path.Base(from))
		}
		err = s.home.Rename(from, to)
	}
	if err != nil {
		return s.fail("mv", req.Path, err)
	}
	s.log.Info("mv", "path", from, "to", to)
	return s.reply(proto.Response{OK: true, Path: to})
}

func (s *session) quota(proto.Request) error {
	u := s.home.Usage()
	return s.reply(proto.Response{OK: true, Used: u.Bytes, Limit: u.BytesLimit, Files: u.Files, FilesLimit: u.FilesLimit})
}
