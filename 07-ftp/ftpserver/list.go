package ftpserver

import (
	"fmt"
	"strings"
	"time"

	"github.com/gosockets/tutorial/07-ftp/store"
)

// mdtmLayout is the time format of MDTM and of MLSx's modify fact (RFC
// 3659, 2.3): UTC, YYYYMMDDHHMMSS.
const mdtmLayout = "20060102150405"

// now is the clock LIST compares dates with; tests may stop it.
var now = time.Now

// listPath takes what a client sends after LIST or NLST and returns the
// path in it: clients send ls options ("LIST -la", "LIST -a dir"), which
// this server does not honour but must not take for a name.
func listPath(arg string) string {
	for strings.HasPrefix(arg, "-") {
		opt, rest, _ := strings.Cut(arg, " ")
		if strings.ContainsAny(opt, "/") {
			break
		}
		arg = strings.TrimLeft(rest, " ")
	}
	if arg == "" {
		return "."
	}
	return arg
}

// safeName reports whether a name can go in a listing: one with a CR or
// LF would end its line early and forge the next one.
func safeName(name string) bool { return !strings.ContainsAny(name, "\r\n") }

// lsLine writes an entry as "ls -l" does, the format every FTP client
// parses from LIST:
//
//	-rw-r----- 1 demo demo     1234 Jan 02 15:04 a.txt
//	drwxr-x--- 1 demo demo        0 Jan 02  2025 old
//
// Like ls, the time is shown for the last six months, the year before.
func lsLine(e store.Entry, owner string, now time.Time) string {
	date := e.ModTime.Local().Format("Jan _2 15:04")
	if age := now.Sub(e.ModTime); age > 182*24*time.Hour || age < -time.Hour {
		date = e.ModTime.Local().Format("Jan _2  2006")
	}
	return fmt.Sprintf("%s 1 %s %s %12d %s %s", modeString(e), owner, owner, e.Size, date, e.Name)
}

// modeString is ls's "drwxr-x---".
func modeString(e store.Entry) string {
	var b [10]byte
	switch e.Type {
	case "dir":
		b[0] = 'd'
	case "link":
		b[0] = 'l'
	case "file":
		b[0] = '-'
	default:
		b[0] = '?'
	}
	const rwx = "rwxrwxrwx"
	perm := e.Mode.Perm()
	for i := range 9 {
		if perm&(1<<uint(8-i)) != 0 {
			b[i+1] = rwx[i]
		} else {
			b[i+1] = '-'
		}
	}
	return string(b[:])
}

// mlsxFacts writes an entry as a line of MLSD, or the line of MLST, as
// RFC 3659, 7 says: facts, a space, the name. perm says what the user may
// do: a: append, c: create in a directory, d: delete, e: enter, f: rename,
// l: list, m: make directories, p: purge (delete in it), r: retrieve, w:
// store.
func mlsxFacts(e store.Entry) string {
	var typ, perm string
	switch e.Type {
	case "dir":
		typ, perm = "dir", "cdeflmp"
	case "file":
		typ, perm = "file", "adfrw"
	default:
		typ, perm = "OS.unix=other", "df"
		if e.Type == "link" {
			typ = "OS.unix=symlink"
		}
	}
	return fmt.Sprintf("type=%s;size=%d;modify=%s;perm=%s; %s", typ, e.Size, e.ModTime.UTC().Format(mdtmLayout), perm, e.Name)
}
