package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// ls lists a directory: one JSON Entry per line, sorted by name, as the
// body of the reply.
func (s *session) ls(req proto.Request, _ io.Reader) error {
	p := req.Path
	if p == "" {
		p = "."
	}
	v, err := s.resolve(p)
	if err != nil {
		return s.fail("ls", p, err)
	}
	var entries []store.Entry
	for e, err := range s.home.List(v) {
		if err != nil {
			return s.fail("ls", p, err)
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b store.Entry) int { return strings.Compare(a.Name, b.Name) })
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range entries {
		enc.Encode(proto.Entry{Type: e.Type, Size: e.Size, ModTime: e.ModTime, Name: e.Name})
		if buf.Len() > proto.MaxListing {
			return s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("ls %s: directory too large to list (over %d bytes)", p, proto.MaxListing)})
		}
	}
	return s.pc.WriteResponseBody(proto.Response{OK: true, Path: v}, buf.Bytes())
}
