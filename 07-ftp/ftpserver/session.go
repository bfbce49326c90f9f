package ftpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gosockets/tutorial/07-ftp/gate"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// session is one control connection's conversation.
type session struct {
	srv    *Server
	c      *ctrl
	log    *slog.Logger
	host   string // the client's IP: data connections must come from it
	ticket *gate.Ticket
	ctx    context.Context

	tls  bool // the control connection is secured (AUTH TLS)
	pbsz bool // PBSZ 0 was sent
	prot byte // 'C' clear or 'P' private data connections

	user     string      // named by USER, until PASS
	failures int         // failed logins on this connection
	home     *store.Home // nil until logged in
	cwd      string      // virtual absolute path; "/" is the home

	pasv    *passive // the listener of PASV/EPSV, until a transfer uses it
	rest    int64    // REST: where the next RETR or STOR starts
	allo    int64    // ALLO: the size the next STOR announces; -1: none
	rnfr    string   // RNFR: the path the next RNTO renames
	aborted bool     // the last transfer ended with 426: ABOR answers 226
	quit    bool
}

// maxLoginFailures is how many failed logins a connection may have before
// it is closed; the limiter slows each of them down as well.
const maxLoginFailures = 3

// errQuit ends a session without an error of its own.
var errQuit = errors.New("quit")

// close releases what the session holds, its place at the gate before
// its connection, so that a client that sees the connection close may
// log in again at once.
func (s *session) close() {
	s.closePassive()
	if s.home != nil {
		s.home.Close()
	}
	s.ticket.Leave()
	s.c.nc.Close()
}

// ended logs how the session ended.
func (s *session) ended(err error) {
	switch {
	case err == nil, errors.Is(err, errQuit), errors.Is(err, io.EOF):
		s.log.Info("session ended")
	case s.c.isInterrupted() && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed)):
		s.log.Info("session ended by shutdown")
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.log.Info("session dropped", "err", err)
	default:
		s.log.Warn("session ended", "err", err)
	}
}

// run greets the client and answers one command after another until the
// client quits or the connection fails.
func (s *session) run() error {
	greeting := "ftpd ready (this chapter's server, speaking standard FTP)"
	if s.srv.TLS != nil {
		greeting = "ftpd ready; AUTH TLS is required before login"
	}
	if err := s.reply(220, greeting); err != nil {
		return err
	}
	for !s.quit {
		line, err := s.c.readLine()
		if err != nil {
			return s.readFailed(err)
		}
		cmd, err := parseLine(line)
		if err != nil {
			s.log.Info("bad command line", "err", err)
			if err := s.reply(501, "syntax error: "+err.Error()); err != nil {
				return err
			}
			continue
		}
		if err := s.dispatch(cmd); err != nil {
			return err
		}
	}
	return errQuit
}

// readFailed tells a client that is dropped why, and returns err.
func (s *session) readFailed(err error) error {
	switch {
	case errors.Is(err, errLineTooLong):
		s.c.farewell(500, "command line over 4096 bytes; closing")
	case errors.Is(err, errSlowLine):
		s.c.farewell(421, fmt.Sprintf("a command line must arrive within %s of its first byte; closing", s.c.line))
	case s.c.isInterrupted():
		s.c.farewell(421, "server shutting down; closing")
	case errors.Is(err, os.ErrDeadlineExceeded) && s.home == nil:
		s.c.farewell(421, "login took too long; closing")
	case errors.Is(err, os.ErrDeadlineExceeded):
		msg := "the session was idle too long and is closed"
		if t := s.srv.IdleTimeout; t > 0 {
			msg = fmt.Sprintf("the session was idle for %s and is closed", t)
		}
		s.c.farewell(421, msg)
	}
	return err
}

// handler answers one command; it returns an error only when the session
// cannot go on.
type handler struct {
	fn func(*session, string) error
	// open: allowed before login.
	open bool
	// arg: "" takes no argument, "req" needs one, "opt" may have one.
	arg string
}

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"USER": {fn: (*session).cmdUser, open: true, arg: "req"},
		"PASS": {fn: (*session).cmdPass, open: true, arg: "opt"},
		"QUIT": {fn: (*session).cmdQuit, open: true},
		"NOOP": {fn: (*session).cmdNoop, open: true},
		"SYST": {fn: (*session).cmdSyst, open: true},
		"FEAT": {fn: (*session).cmdFeat, open: true},
		"OPTS": {fn: (*session).cmdOpts, open: true, arg: "req"},
		"HELP": {fn: (*session).cmdHelp, open: true, arg: "opt"},
		"AUTH": {fn: (*session).cmdAuth, open: true, arg: "req"},
		"PBSZ": {fn: (*session).cmdPbsz, open: true, arg: "req"},
		"PROT": {fn: (*session).cmdProt, open: true, arg: "req"},
		"PWD":  {fn: (*session).cmdPwd},
		"XPWD": {fn: (*session).cmdPwd},
		"CWD":  {fn: (*session).cmdCwd, arg: "req"},
		"XCWD": {fn: (*session).cmdCwd, arg: "req"},
		"CDUP": {fn: (*session).cmdCdup},
		"XCUP": {fn: (*session).cmdCdup},
		"TYPE": {fn: (*session).cmdType, arg: "req"},
		"MODE": {fn: (*session).cmdMode, arg: "req"},
		"STRU": {fn: (*session).cmdStru, arg: "req"},
		"PASV": {fn: (*session).cmdPasv},
		"EPSV": {fn: (*session).cmdEpsv, arg: "opt"},
		"PORT": {fn: (*session).cmdActive, arg: "opt"},
		"EPRT": {fn: (*session).cmdActive, arg: "opt"},
		"LIST": {fn: (*session).cmdList, arg: "opt"},
		"NLST": {fn: (*session).cmdNlst, arg: "opt"},
		"MLSD": {fn: (*session).cmdMlsd, arg: "opt"},
		"MLST": {fn: (*session).cmdMlst, arg: "opt"},
		"SIZE": {fn: (*session).cmdSize, arg: "req"},
		"MDTM": {fn: (*session).cmdMdtm, arg: "req"},
		"HASH": {fn: (*session).cmdHash, arg: "req"},
		"RETR": {fn: (*session).cmdRetr, arg: "req"},
		"STOR": {fn: (*session).cmdStor, arg: "req"},
		"APPE": {fn: (*session).cmdAppe, arg: "req"},
		"REST": {fn: (*session).cmdRest, arg: "req"},
		"ALLO": {fn: (*session).cmdAllo, arg: "req"},
		"DELE": {fn: (*session).cmdDele, arg: "req"},
		"MKD":  {fn: (*session).cmdMkd, arg: "req"},
		"XMKD": {fn: (*session).cmdMkd, arg: "req"},
		"RMD":  {fn: (*session).cmdRmd, arg: "req"},
		"XRMD": {fn: (*session).cmdRmd, arg: "req"},
		"RNFR": {fn: (*session).cmdRnfr, arg: "req"},
		"RNTO": {fn: (*session).cmdRnto, arg: "req"},
		"ABOR": {fn: (*session).cmdAbor},
		"STAT": {fn: (*session).cmdStat, arg: "opt"},
	}
}

// dispatch runs cmd's handler, after the checks every command shares.
func (s *session) dispatch(cmd command) error {
	h, ok := handlers[cmd.verb]
	switch {
	case !ok:
		s.log.Info("unknown command", "verb", cmd.verb)
		return s.reply(502, fmt.Sprintf("%s: command not implemented", cmd.verb))
	case !h.open && s.home == nil:
		return s.reply(530, "please log in with USER and PASS first")
	case h.arg == "" && cmd.arg != "":
		return s.reply(501, fmt.Sprintf("%s takes no argument", cmd.verb))
	case h.arg == "req" && cmd.arg == "":
		return s.reply(501, fmt.Sprintf("%s needs an argument", cmd.verb))
	}
	// RNTO must follow RNFR, and REST the transfer it is for.
	if cmd.verb != "RNTO" {
		s.rnfr = ""
	}
	if cmd.verb != "ABOR" && cmd.verb != "NOOP" {
		s.aborted = false
	}
	err := h.fn(s, cmd.arg)
	switch cmd.verb {
	case "REST", "ALLO", "PASV", "EPSV", "TYPE", "NOOP", "MODE", "STRU", "PBSZ", "PROT", "SIZE", "MDTM":
	default:
		s.rest, s.allo = 0, -1
	}
	return err
}

func (s *session) reply(code int, text string) error { return s.c.reply(code, text) }

// fail answers a failed command on path p with the code and words of err,
// and logs it.
func (s *session) fail(verb, p string, err error) error {
	code, text := describe(err)
	s.log.Info(strings.ToLower(verb)+" failed", "path", p, "err", text)
	return s.reply(code, fmt.Sprintf("%s: %s", p, text))
}

// resolve turns a client's path into a virtual absolute path in the home.
func (s *session) resolve(p string) (string, error) { return store.Resolve(s.cwd, p) }

// --- login ---

func (s *session) cmdUser(name string) error {
	if s.srv.TLS != nil && !s.tls {
		s.log.Info("plaintext login refused", "user", name)
		return s.reply(530, "this server requires TLS: send AUTH TLS before USER (curl --ssl-reqd, lftp set ftp:ssl-force true)")
	}
	if s.home != nil {
		return s.reply(530, "already logged in; reconnect to log in as someone else")
	}
	s.user = name
	return s.reply(331, "password required for "+name)
}

// loginFailed is the one answer to every failed login, whether the user
// exists or not, in the words of the chapter's protocol.
const loginFailed = "login failed: unknown user or wrong password"

// cmdPass checks the password against the account's SCRAM keys, within
// the login limiter that the chapter's protocol uses too.
func (s *session) cmdPass(pw string) error {
	if s.user == "" || s.home != nil {
		return s.reply(503, "send USER first")
	}
	name := s.user
	s.user = ""
	if wait := s.srv.Limiter.Wait(s.host, name); wait > 0 {
		s.log.Warn("login refused: too many failures", "user", name, "wait", wait)
		return s.reply(530, fmt.Sprintf("too many failed logins; try again in %s", (wait+time.Second-1).Truncate(time.Second)))
	}
	ok, err := s.srv.Accounts.CheckPassword(name, pw)
	if err != nil {
		s.log.Error("cannot check password", "err", err)
		return s.reply(421, "cannot check passwords now; try later")
	}
	if !ok {
		return s.loginFailed(name, "wrong password or unknown user")
	}
	acct, err := s.srv.Accounts.Lookup(name)
	if err != nil { // deleted meanwhile
		return s.loginFailed(name, err.Error())
	}
	home, err := s.srv.Store.Home(name, store.Limits{Bytes: acct.Quota, Files: acct.MaxFiles})
	if err != nil {
		s.log.Error("cannot open home", "user", name, "err", err)
		return s.reply(550, "cannot open your home directory")
	}
	s.srv.Limiter.Succeeded(s.host, name)
	if err := s.ticket.Login(name); err != nil {
		home.Close()
		s.log.Info("login refused", "user", name, "err", err)
		s.reply(421, err.Error())
		return err
	}
	s.home = home
	s.log = s.log.With("user", name)
	s.c.setLimit(time.Time{}) // logged in: the idle timeout takes over
	s.log.Info("login", "tls", s.tls)
	u := home.Usage()
	return s.reply(230, fmt.Sprintf("logged in as %s; home is /, %s of %s used", name, formatBytes(u.Bytes), formatBytes(u.BytesLimit)))
}

func (s *session) loginFailed(name, why string) error {
	s.srv.Limiter.Failed(s.host, name)
	s.failures++
	s.log.Warn("login failed", "user", name, "err", why)
	if s.failures >= maxLoginFailures {
		s.reply(530, loginFailed+"; closing after "+fmt.Sprint(maxLoginFailures)+" failures")
		return errors.New("login failed")
	}
	return s.reply(530, loginFailed)
}

// formatBytes writes n as the chapter does: "1.5 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// --- commands that need nothing but the session ---

func (s *session) cmdQuit(string) error {
	s.quit = true
	return s.reply(221, "goodbye")
}

func (s *session) cmdNoop(string) error { return s.reply(200, "NOOP ok") }

func (s *session) cmdSyst(string) error { return s.reply(215, "UNIX Type: L8") }

// features are the FEAT lines (RFC 2389), each a feature the server has
// beyond RFC 959.
func (s *session) features() []string {
	f := []string{"EPSV", "PASV", "MDTM", "SIZE", "REST STREAM", "UTF8",
		"MLST type*;size*;modify*;perm*;", "HASH SHA-256*"}
	if s.srv.TLS != nil {
		f = append(f, "AUTH TLS", "PBSZ", "PROT")
	}
	return f
}

func (s *session) cmdFeat(string) error {
	return s.reply(211, "Features:\n"+strings.Join(s.features(), "\n")+"\nEnd")
}

func (s *session) cmdOpts(arg string) error {
	opt, val, _ := strings.Cut(strings.ToUpper(arg), " ")
	switch {
	case opt == "UTF8" && (val == "ON" || val == ""):
		return s.reply(200, "UTF8 is always on")
	case opt == "MLST":
		return s.reply(200, "MLST OPTS type;size;modify;perm;")
	case opt == "HASH" && (val == "" || val == "SHA-256"):
		return s.reply(200, "SHA-256")
	case opt == "HASH":
		return s.reply(501, "only SHA-256 is offered")
	}
	return s.reply(501, fmt.Sprintf("OPTS %s: option not known", opt))
}

func (s *session) cmdHelp(string) error {
	verbs := make([]string, 0, len(handlers))
	for v := range handlers {
		verbs = append(verbs, v)
	}
	sort.Strings(verbs)
	var b strings.Builder
	b.WriteString("The commands this server knows:\n")
	for i, v := range verbs {
		b.WriteString(fmt.Sprintf("%-5s", v))
		if i%8 == 7 && i != len(verbs)-1 {
			b.WriteString("\n")
		}
	}
	b.WriteString("\nHelp OK")
	return s.reply(214, b.String())
}

func (s *session) cmdType(arg string) error {
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "I", "L 8", "L8":
		return s.reply(200, "type set to I (binary)")
	case "A", "A N":
		// Files are sent byte for byte in both types, as vsftpd does by
		// default; listings are always CRLF text.
		return s.reply(200, "type set to A (files are still sent byte for byte)")
	}
	return s.reply(504, fmt.Sprintf("TYPE %s: only A and I are offered", arg))
}

func (s *session) cmdMode(arg string) error {
	if strings.EqualFold(arg, "S") {
		return s.reply(200, "mode S (stream)")
	}
	return s.reply(504, "only MODE S (stream) is offered")
}

func (s *session) cmdStru(arg string) error {
	if strings.EqualFold(arg, "F") {
		return s.reply(200, "structure F (file)")
	}
	return s.reply(504, "only STRU F (file) is offered")
}

func (s *session) cmdStat(arg string) error {
	if arg != "" {
		return s.statPath(arg)
	}
	u := s.home.Usage()
	return s.reply(211, fmt.Sprintf("ftpd status:\nlogged in as %s, in %s\ncontrol connection %s, data connections %s\nused %s of %s, %d of %d files\nEnd of status",
		s.home.User(), s.cwd, map[bool]string{true: "TLS", false: "clear"}[s.tls], map[byte]string{'P': "TLS", 'C': "clear"}[s.prot],
		formatBytes(u.Bytes), formatBytes(u.BytesLimit), u.Files, u.FilesLimit))
}

func (s *session) cmdAbor(string) error {
	s.closePassive()
	if s.aborted {
		s.aborted = false
		return s.reply(226, "ABOR successful; the transfer was aborted")
	}
	return s.reply(225, "no transfer to abort")
}
