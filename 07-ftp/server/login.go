package server

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xdg-go/scram"

	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// loginFailed is the one answer to every failed login, whether the user
// exists or not.
const loginFailed = "login failed: unknown user or wrong password"

// errLoginFailed ends a session whose login failed.
var errLoginFailed = errors.New("login failed")

// login runs the SCRAM-SHA-256 exchange: two steps, each a request with a
// SCRAM message as its body and a reply with the server's. A name that
// does not exist goes through the same two steps against a fake
// credential, and every failure gets the same reply, at once, so the
// answer does not say whether the name exists. Once the first step names
// the user, the limiter decides whether this attempt may be checked at
// all. The password never reaches the server, so it cannot be logged.
func (s *session) login() error {
	scramSrv, err := s.srv.Accounts.NewServer()
	if err != nil {
		return err
	}
	conv := scramSrv.NewConversation()
	first, err := s.authStep(conv, proto.OpAuth)
	if err != nil {
		if conv.Done() { // SCRAM rejected the message itself
			return s.loginFailed(conv, err)
		}
		return err
	}
	if wait := s.srv.Limiter.Wait(s.host, conv.Username()); wait > 0 {
		s.log.Warn("login refused: too many failures", "user", conv.Username(), "wait", wait)
		s.reply(proto.Response{Code: proto.CodeAuth, Error: fmt.Sprintf(
			"too many failed logins; try again in %s", (wait + time.Second - 1).Truncate(time.Second))})
		return errLoginFailed
	}
	if err := s.pc.WriteResponseBody(proto.Response{OK: true}, []byte(first)); err != nil {
		return err
	}
	final, err := s.authStep(conv, proto.OpAuthFinal)
	if err != nil && !conv.Done() {
		return err
	}
	if err != nil || !conv.Valid() {
		return s.loginFailed(conv, err)
	}
	if err := s.openHome(conv); err != nil {
		return err
	}
	s.pc.SetDeadline(time.Time{}) // logged in: the idle timeout takes over
	u := s.home.Usage()
	return s.pc.WriteResponseBody(proto.Response{OK: true, User: s.home.User(), Path: s.cwd, Used: u.Bytes, Limit: u.BytesLimit}, []byte(final))
}

// authStep reads the client's next SCRAM message, which must come with op,
// and returns the server's answer to it.
func (s *session) authStep(conv *scram.ServerConversation, op string) (string, error) {
	req, body, err := s.pc.ReadRequest()
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

// loginFailed counts a failure with the limiter and gives the one reply of
// every failed login.
func (s *session) loginFailed(conv *scram.ServerConversation, cause error) error {
	s.srv.Limiter.Failed(s.host, conv.Username())
	s.log.Warn("login failed", "user", conv.Username(), "err", cause)
	s.reply(proto.Response{Code: proto.CodeAuth, Error: loginFailed})
	return errLoginFailed
}

// openHome opens the home of the user whose login just succeeded, within
// the per-user session limit.
func (s *session) openHome(conv *scram.ServerConversation) error {
	name := conv.Username()
	acct, err := s.srv.Accounts.Lookup(name)
	if err != nil { // deleted since the first step
		return s.loginFailed(conv, err)
	}
	home, err := s.srv.Store.Home(name, store.Limits{Bytes: acct.Quota, Files: acct.MaxFiles})
	if err != nil {
		s.reply(proto.Response{Code: proto.CodeInternal, Error: "cannot open your home directory"})
		return fmt.Errorf("home of %s: %w", name, err)
	}
	if err := s.ticket.Login(name); err != nil {
		home.Close()
		s.srv.Limiter.Succeeded(s.host, name)
		s.log.Info("login refused", "user", name, "err", err)
		s.reply(proto.Response{Code: proto.CodeBusy, Error: err.Error()})
		return errLoginFailed
	}
	s.srv.Limiter.Succeeded(s.host, name)
	s.home = home
	s.log = s.log.With("user", name)
	s.log.Info("login")
	return nil
}
