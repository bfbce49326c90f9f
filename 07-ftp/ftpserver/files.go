package ftpserver

import (
	"cmp"
	"fmt"
	"io/fs"
	"strings"

	"github.com/gosockets/tutorial/07-ftp/store"
)

// quote writes a path as RFC 959 wants it inside a 257 reply: in double
// quotes, a quote inside doubled.
func quote(p string) string { return `"` + strings.ReplaceAll(p, `"`, `""`) + `"` }

func (s *session) cmdPwd(string) error {
	return s.reply(257, quote(s.cwd)+" is the current directory")
}

func (s *session) cmdCwd(arg string) error {
	v, err := s.resolve(arg)
	if err == nil {
		v, err = s.home.Chdir(v)
	}
	if err != nil {
		return s.fail("CWD", arg, err)
	}
	s.cwd = v
	return s.reply(250, fmt.Sprintf("directory changed to %s", v))
}

func (s *session) cmdCdup(string) error { return s.cmdCwd("..") }

func (s *session) cmdMkd(arg string) error {
	v, err := s.resolve(arg)
	if err == nil {
		err = s.home.Mkdir(v)
	}
	if err != nil {
		return s.fail("MKD", arg, err)
	}
	s.log.Info("mkdir", "path", v)
	return s.reply(257, quote(v)+" created")
}

func (s *session) cmdRmd(arg string) error {
	v, err := s.resolve(arg)
	if err == nil && v == "/" {
		err = fmt.Errorf("%w: the home itself", fs.ErrPermission)
	}
	if err == nil {
		err = s.home.RemoveDir(v)
	}
	if err != nil {
		return s.fail("RMD", arg, err)
	}
	s.log.Info("rmdir", "path", v)
	return s.reply(250, v+" removed")
}

func (s *session) cmdDele(arg string) error {
	v, err := s.resolve(arg)
	var freed int64
	if err == nil {
		freed, err = s.home.RemoveFile(v)
	}
	if err != nil {
		return s.fail("DELE", arg, err)
	}
	s.log.Info("rm", "path", v, "freed", freed)
	return s.reply(250, v+" deleted")
}

func (s *session) cmdRnfr(arg string) error {
	v, err := s.resolve(arg)
	if err == nil {
		_, err = s.home.Stat(v)
	}
	if err != nil {
		return s.fail("RNFR", arg, err)
	}
	s.rnfr = v
	return s.reply(350, "ready for RNTO")
}

func (s *session) cmdRnto(arg string) error {
	from := s.rnfr
	s.rnfr = ""
	if from == "" {
		return s.reply(503, "send RNFR first")
	}
	to, err := s.resolve(arg)
	if err == nil {
		err = s.home.Rename(from, to)
	}
	if err != nil {
		return s.fail("RNTO", arg, err)
	}
	s.log.Info("mv", "path", from, "to", to)
	return s.reply(250, fmt.Sprintf("renamed %s to %s", from, to))
}

// regular returns what v is if it is a regular file.
func (s *session) regular(arg string) (string, store.Entry, error) {
	v, err := s.resolve(arg)
	if err != nil {
		return "", store.Entry{}, err
	}
	e, err := s.home.Stat(v)
	if err == nil && e.Type != "file" {
		err = store.ErrNotRegular
		if e.Type == "dir" {
			err = store.ErrIsDir
		}
	}
	return v, e, err
}

// cmdSize answers the size of a regular file (RFC 3659), what clients ask
// before they resume.
func (s *session) cmdSize(arg string) error {
	_, e, err := s.regular(arg)
	if err != nil {
		return s.fail("SIZE", arg, err)
	}
	return s.reply(213, fmt.Sprint(e.Size))
}

// cmdMdtm answers the modification time of a file, in UTC (RFC 3659).
func (s *session) cmdMdtm(arg string) error {
	_, e, err := s.regular(arg)
	if err != nil {
		return s.fail("MDTM", arg, err)
	}
	return s.reply(213, e.ModTime.UTC().Format(mdtmLayout))
}

// cmdHash answers the SHA-256 of a whole file (the HASH command of
// draft-bryan-ftpext-hash): the one recorded when the file was uploaded
// and verified, or, for a file that was not uploaded through the server,
// one computed now by reading it.
func (s *session) cmdHash(arg string) error {
	v, e, err := s.regular(arg)
	if err != nil {
		return s.fail("HASH", arg, err)
	}
	sum, ok := s.home.Sum(v)
	if !ok {
		dl, err := s.home.BeginDownload(v)
		if err != nil {
			return s.fail("HASH", arg, err)
		}
		_, sum, err = dl.Send(discard{}, 0)
		dl.Close()
		if err != nil {
			return s.fail("HASH", arg, err)
		}
	}
	s.log.Info("hash", "path", v, "sha256", sum, "recorded", ok)
	return s.reply(213, fmt.Sprintf("SHA-256 0-%d %s %s", e.Size, sum, arg))
}

// discard is io.Discard without its ReadFrom, so a Download hashes what
// it sends.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// stat resolves a path argument and stats what it names: its virtual
// path and its entry.
func (s *session) stat(p string) (string, store.Entry, error) {
	v, err := s.resolve(p)
	if err != nil {
		return "", store.Entry{}, err
	}
	e, err := s.home.Stat(v)
	return v, e, err
}

// cmdMlst describes one name on the control connection (RFC 3659, 7).
func (s *session) cmdMlst(arg string) error {
	p := cmp.Or(arg, ".")
	v, e, err := s.stat(p)
	if err != nil {
		return s.fail("MLST", p, err)
	}
	e.Name = v
	return s.reply(250, "Listing "+v+"\n"+mlsxFacts(e)+"\nEnd")
}

// statPath answers STAT PATH: the LIST of a path on the control
// connection (RFC 959), for clients that list without a data connection.
func (s *session) statPath(arg string) error {
	v, e, err := s.stat(listPath(arg))
	if err != nil {
		return s.fail("STAT", arg, err)
	}
	var lines []string
	const maxLines = 1000 // the control connection is no place for more
	for ent, err := range s.home.List(v) {
		if err != nil {
			return s.fail("STAT", arg, err)
		}
		if len(lines) == maxLines {
			lines = append(lines, "... (more: use LIST)")
			break
		}
		if !safeName(ent.Name) {
			continue
		}
		lines = append(lines, lsLine(ent, s.home.User(), now()))
	}
	if e.Type != "dir" && len(lines) == 0 {
		lines = append(lines, lsLine(e, s.home.User(), now()))
	}
	return s.reply(213, "status of "+v+":\n"+strings.Join(lines, "\n")+"\nEnd of status")
}

// cmdActive refuses PORT and EPRT: in active mode the server connects to
// an address the client names, which lets a client aim the server at a
// third machine (the FTP bounce attack). Passive mode works through the
// same NATs and firewalls clients already sit behind.
func (s *session) cmdActive(string) error {
	return s.reply(502, "active mode (PORT/EPRT) is off on this server; use passive mode (PASV/EPSV)")
}
