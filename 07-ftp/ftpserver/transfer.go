package ftpserver

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gosockets/tutorial/07-ftp/store"
)

// cmdRest sets where the next RETR or STOR starts (RFC 3659, REST
// STREAM): a resumed download or upload.
func (s *session) cmdRest(arg string) error {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n < 0 {
		return s.reply(501, "REST needs a byte offset: a whole number, 0 or more")
	}
	s.rest = n
	return s.reply(350, fmt.Sprintf("restarting at %d; send RETR or STOR", n))
}

// cmdAllo records the size of the file the next STOR sends (RFC 959's
// ALLO, which clients such as lftp send before an upload). The size is
// reserved against the quota before any byte flows, and the upload is
// stored only if that many bytes arrive: the one way standard FTP has to
// tell a finished upload from an interrupted one.
func (s *session) cmdAllo(arg string) error {
	f, _, _ := strings.Cut(arg, " ") // "ALLO n R m": the record size is for record structure
	n, err := strconv.ParseInt(f, 10, 64)
	if err != nil || n < 0 {
		return s.reply(501, "ALLO needs a size in bytes")
	}
	if err := s.home.CheckRoom(n); err != nil {
		return s.fail("ALLO", arg, err)
	}
	s.allo = n
	return s.reply(200, fmt.Sprintf("ALLO %d: the next STOR must send this many bytes", n))
}

// cmdRetr sends a file, from the REST offset on. The bytes go by sendfile
// on a plain data connection. A data connection that breaks is a 426; the
// client resumes with REST.
func (s *session) cmdRetr(arg string) error {
	if ok, err := s.dataReady(); !ok {
		return err
	}
	v, err := s.resolve(arg)
	var dl *store.Download
	if err == nil {
		dl, err = s.home.BeginDownload(v)
	}
	if err != nil {
		s.closePassive()
		return s.fail("RETR", arg, err)
	}
	defer dl.Close()
	off := s.rest
	if off > dl.Size() {
		s.closePassive()
		return s.reply(554, fmt.Sprintf("REST %d is past the end of %s (%d bytes)", off, arg, dl.Size()))
	}
	dc, err := s.openData(fmt.Sprintf("opening data connection for %s (%d bytes from %d)", v, dl.Size()-off, off))
	if dc == nil {
		return err
	}
	start := time.Now()
	stop := s.watchAbort(dc)
	n, sum, err := dl.Send(dc, off)
	if stop() {
		s.aborted = true
		s.log.Info("get aborted", "path", v, "bytes", n, "resumed_at", off)
		return s.reply(426, fmt.Sprintf("transfer aborted after %d bytes (resume with REST %d)", n, off+n))
	}
	if err != nil {
		dc.abort()
		s.aborted = true
		s.log.Info("get interrupted", "path", v, "bytes", n, "resumed_at", off, "err", err)
		return s.reply(426, fmt.Sprintf("data connection closed after %d bytes; transfer aborted (resume with REST %d)", n, off+n))
	}
	dc.finish()
	_, cached := dl.Sum()
	s.log.Info("get", "path", v, "bytes", n, "resumed_at", off, "sha256", sum, "cached_sum", cached, "tls", dc.isTLS(), "took", time.Since(start).Round(time.Millisecond))
	msg := fmt.Sprintf("transfer complete: %d bytes", n)
	if sum != "" {
		msg += ", sha256 " + sum
	}
	return s.reply(226, msg)
}

func (s *session) cmdStor(arg string) error {
	if s.rest > 0 {
		return s.upload("STOR", arg, store.UploadOptions{Mode: store.At, Offset: s.rest})
	}
	return s.upload("STOR", arg, store.UploadOptions{Mode: store.Fresh})
}

func (s *session) cmdAppe(arg string) error {
	if s.rest > 0 {
		return s.upload("APPE", arg, store.UploadOptions{Mode: store.At, Offset: s.rest})
	}
	return s.upload("APPE", arg, store.UploadOptions{Mode: store.Append})
}

// upload receives a file through the storage core, as every upload of
// this server is: into a part file, within the quota while the bytes
// stream, hashed on the way, and renamed over the target only at the end.
//
// Standard FTP ends an upload by closing the data connection, so a
// client that finished and a client that died look alike. Without ALLO
// the upload is committed when the connection closes cleanly, as every
// FTP server does; with ALLO it is committed only if the announced size
// arrived, and otherwise kept as a part file for REST + STOR. A
// connection that breaks (a reset, a timeout) keeps the part; an upload
// over the quota is removed (552), and the old file stays as it was.
func (s *session) upload(verb, arg string, o store.UploadOptions) error {
	if ok, err := s.dataReady(); !ok {
		return err // before BeginUpload, which may empty a part file
	}
	o.Size = store.UnknownSize
	if s.allo >= 0 {
		o.Size = s.allo
	}
	v, err := s.resolve(arg)
	var up *store.Upload
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), orDefault(s.srv.BusyWait, 3*time.Second))
		up, err = s.home.BeginUpload(ctx, v, o)
		cancel()
	}
	if err != nil {
		s.closePassive()
		return s.fail(verb, arg, err)
	}
	defer s.keep(up)
	dc, err := s.openData(fmt.Sprintf("ready to receive %s from byte %d", v, up.Offset()))
	if dc == nil {
		return err
	}
	start := time.Now()
	stop := s.watchAbort(dc)
	n, rerr := up.ReadFrom(dc)
	if stop() {
		s.aborted = true
		kept := s.keepUp(up)
		s.log.Info("put aborted", "path", v, "bytes", kept)
		return s.reply(426, fmt.Sprintf("transfer aborted; %d bytes kept, the file was not stored (resume with REST %d and STOR)", kept, kept))
	}
	var readErr *store.ReadError
	switch {
	case errors.As(rerr, &readErr):
		dc.abort()
		s.aborted = true
		s.keep(up)
		s.log.Info("put interrupted", "path", v, "bytes", up.Written(), "err", readErr.Err)
		return s.reply(426, fmt.Sprintf("data connection broke after %d bytes; %d bytes kept (resume with REST %d and STOR)", n, up.Written(), up.Written()))
	case errors.Is(rerr, store.ErrQuota):
		dc.abort()
		up.Abort()
		return s.fail(verb, arg, rerr)
	case rerr != nil: // a full or failing disk: what arrived stays
		dc.abort()
		s.keep(up)
		return s.fail(verb, arg, rerr)
	}
	dc.finish()
	if o.Size >= 0 && up.Written() < o.Size {
		kept := up.Written()
		s.keep(up)
		s.log.Info("put short of ALLO: not stored", "path", v, "bytes", kept, "allo", o.Size)
		return s.reply(451, fmt.Sprintf("%s: ALLO announced %d bytes, %d arrived; the file was not stored (resume with REST %d and STOR)", arg, o.Size, kept, kept))
	}
	c, err := up.Commit("")
	if err != nil {
		return s.fail(verb, arg, err)
	}
	s.log.Info("put", "path", v, "bytes", c.Size, "sent", n, "resumed_at", up.Offset(), "sha256", c.SHA256, "allo", o.Size,
		"tls", dc.isTLS(), "took", time.Since(start).Round(time.Millisecond), "fsync", c.Fsync.Round(time.Millisecond))
	return s.reply(226, fmt.Sprintf("transfer complete: %s stored, %d bytes, sha256 %s", v, c.Size, c.SHA256))
}

// keep ends an upload that was neither committed nor aborted: its part
// stays for a resume.
func (s *session) keep(up *store.Upload) { s.keepUp(up) }

// keepUp is keep, returning the size of the part kept.
func (s *session) keepUp(up *store.Upload) int64 {
	n := up.Keep()
	if n > 0 {
		s.log.Info("put interrupted: part file kept for resume", "path", up.Path(), "bytes", n)
	}
	return n
}

func (s *session) cmdList(arg string) error {
	return s.listing("LIST", arg, func(e store.Entry) string { return lsLine(e, s.home.User(), now()) })
}

func (s *session) cmdNlst(arg string) error {
	return s.listing("NLST", arg, func(e store.Entry) string { return e.Name })
}

func (s *session) cmdMlsd(arg string) error {
	return s.listing("MLSD", arg, mlsxFacts)
}

// listing sends the entries of a directory (or the one entry of a file)
// over a data connection, a line each, as it reads them: a directory of
// any size is listed in bounded memory.
func (s *session) listing(verb, arg string, line func(store.Entry) string) error {
	if ok, err := s.dataReady(); !ok {
		return err
	}
	p := listPath(arg)
	if verb == "MLSD" { // options are LIST's and NLST's, not MLSD's (RFC 3659, 7.1)
		p = cmp.Or(arg, ".")
	}
	v, e, err := s.stat(p)
	if err == nil && verb == "MLSD" && e.Type != "dir" {
		err = store.ErrNotDir
	}
	if err != nil {
		s.closePassive()
		return s.fail(verb, p, err)
	}
	dc, err := s.openData("here comes the listing of " + v)
	if dc == nil {
		return err
	}
	stop := s.watchAbort(dc)
	w := bufio.NewWriterSize(dc, 32<<10)
	count := 0
	var werr error
	for ent, lerr := range s.home.List(v) {
		if lerr != nil {
			werr = lerr
			break
		}
		if !safeName(ent.Name) {
			s.log.Info("listing: name with CR or LF left out", "dir", v)
			continue
		}
		if e.Type != "dir" && verb == "NLST" {
			ent.Name = path.Clean(p) // NLST of a file names the file as asked
		}
		if _, werr = w.WriteString(line(ent) + "\r\n"); werr != nil {
			break
		}
		count++
	}
	if werr == nil {
		werr = w.Flush()
	}
	if stop() {
		s.aborted = true
		return s.reply(426, "listing aborted")
	}
	if werr != nil {
		dc.abort()
		s.aborted = true
		s.log.Info("listing interrupted", "path", v, "err", werr)
		return s.reply(426, "listing interrupted: "+werr.Error())
	}
	dc.finish()
	s.log.Info(strings.ToLower(verb), "path", v, "entries", count)
	return s.reply(226, fmt.Sprintf("listing complete: %d entries", count))
}
