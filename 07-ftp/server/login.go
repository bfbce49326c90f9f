package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/proto"
)

// loginFailed is the one answer to every failed login, whether the user
// exists or not.
const loginFailed = "login failed: unknown user or wrong password"

// login runs the SCRAM-SHA-256 exchange. A name that does not exist goes
// through the same two steps against a fake credential, and every failure
// waits for the limiter's delay before the same reply, so neither the
// answer nor its timing says whether the name exists. The password never
// reaches the server, so it cannot be logged.
func (s *session) login(ctx context.Context) error {
	host := remoteHost(s.conn)
	scramSrv, err := s.srv.Accounts.NewServer()
	if err != nil {
		return err
	}
	conv := scramSrv.NewConversation()
	step := func(op string) (string, error) {
		req, _, body, err := s.next()
		if err != nil {
			if errors.Is(err, proto.ErrBadRequest) {
				s.reply(proto.Response{Code: proto.CodeBadReq, Error: err.Error()})
			}
			return "", err
		}
		if req.Op != op {
			msg := "log in first"
			s.reply(proto.Response{Code: proto.CodeAuth, Error: msg})
			return "", fmt.Errorf("%s: got %q before login", msg, req.Op)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return "", err
		}
		return conv.Step(string(b))
	}
	failed := func(cause error) error {
		d := s.srv.Limiter.Failed(host)
		s.log.Warn("login failed", "user", conv.Username(), "err", cause, "delay", d)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		s.reply(proto.Response{Code: proto.CodeAuth, Error: loginFailed})
		return errLoginFailed
	}

	s1, err := step(proto.OpAuth)
	if err != nil {
		if conv.Done() { // SCRAM rejected the message itself
			return failed(err)
		}
		return err
	}
	if err := s.replyBody(proto.Response{OK: true}, []byte(s1)); err != nil {
		return err
	}
	s2, err := step(proto.OpAuthFinal)
	if err != nil && !conv.Done() {
		return err
	}
	if err != nil || !conv.Valid() {
		return failed(err)
	}
	name := conv.Username()
	acct, err := s.srv.Accounts.Lookup(name)
	if err != nil { // deleted since the first step
		return failed(err)
	}
	fsys, err := homefs.Open(UserDir(s.srv.DataDir, name))
	if err != nil {
		s.reply(proto.Response{Code: proto.CodeInternal, Error: "cannot open your home directory"})
		return fmt.Errorf("open home of %s: %w", name, err)
	}
	st, err := s.srv.user(name, acct.Quota, fsys)
	if err != nil {
		fsys.Close()
		s.reply(proto.Response{Code: proto.CodeInternal, Error: "cannot measure your usage"})
		return fmt.Errorf("usage of %s: %w", name, err)
	}
	if !st.enter(s.srv.MaxUserSessions) {
		fsys.Close()
		s.srv.Limiter.Succeeded(host)
		s.log.Info("login refused: too many sessions", "user", name, "max", s.srv.MaxUserSessions)
		s.reply(proto.Response{Code: proto.CodeBusy, Error: fmt.Sprintf(
			"server busy: %s already has %d sessions, the most allowed; try again later", name, s.srv.MaxUserSessions)})
		return errLoginFailed
	}
	s.srv.Limiter.Succeeded(host)
	s.user, s.fs, s.state = name, fsys, st
	s.log = s.log.With("user", name)
	s.log.Info("login")
	used, limit := st.usage.Get()
	return s.replyBody(proto.Response{OK: true, User: name, Path: s.cwd, Used: used, Limit: limit}, []byte(s2))
}
