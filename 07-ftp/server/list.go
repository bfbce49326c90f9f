package server

import "github.com/gosockets/tutorial/07-ftp/proto"

// ls lists a directory as the storage core reads it, a batch at a time,
// in frames of at most proto.ListFrame bytes: the session holds one frame,
// whatever the size of the directory, and the order is the directory's.
func (s *session) ls(req proto.Request) error {
	p := req.Path
	if p == "" {
		p = "."
	}
	v, err := s.resolve(p)
	if err == nil {
		_, err = s.home.Stat(v)
	}
	if err != nil {
		return s.fail("ls", p, err)
	}
	w, err := s.pc.StartList(proto.Response{OK: true, Path: v})
	if err != nil {
		return err
	}
	for e, err := range s.home.List(v) {
		if err != nil {
			code, text := describe("ls", err)
			return w.Fail(proto.Response{Code: code, Error: "ls " + p + ": " + text})
		}
		if err := w.Add(proto.Entry{Type: e.Type, Size: e.Size, ModTime: e.ModTime, Name: e.Name}); err != nil {
			return err
		}
	}
	return w.Close()
}
