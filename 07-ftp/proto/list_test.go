package proto

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestListStreamsInFramesAndStaysInStep: a listing of many entries crosses
// in frames of at most ListFrame bytes; a reader that stops early still
// reads the rest, so the next reply is read in step; a listing that ends
// in a failure reports it.
func TestListStreamsInFramesAndStaysInStep(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	deadline := time.Now().Add(10 * time.Second)
	a.SetDeadline(deadline)
	b.SetDeadline(deadline)
	const n = 2000
	go func() {
		srv := NewConn(a)
		w, _ := srv.StartList(Response{OK: true, Path: "/"})
		for i := range n {
			w.Add(Entry{Type: "file", Name: fmt.Sprintf("%0100d", i)})
		}
		w.Close()
		srv.WriteResponse(Response{OK: true, Path: "/next"})
		w, _ = srv.StartList(Response{OK: true})
		w.Add(Entry{Name: "one"})
		w.Fail(Response{Code: CodeInternal, Error: "ls: disk on fire"})
	}()
	cli := NewConn(b)
	if resp, _, err := cli.ReadResponse(); err != nil || !resp.OK {
		t.Fatalf("reply to ls: %+v, %v", resp, err)
	}
	stop := errors.New("enough")
	seen := 0
	if err := cli.ReadList(func(Entry) error {
		if seen++; seen == 10 {
			return stop
		}
		return nil
	}); err != stop {
		t.Errorf("ReadList = %v, want the callback's error", err)
	}
	if resp, _, err := cli.ReadResponse(); err != nil || resp.Path != "/next" {
		t.Fatalf("the reply after the listing: %+v, %v", resp, err)
	}
	cli.ReadResponse()
	var names []string
	err := cli.ReadList(func(e Entry) error { names = append(names, e.Name); return nil })
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "disk on fire") || len(names) != 1 {
		t.Errorf("a listing that failed: %v after %q", err, names)
	}
}
