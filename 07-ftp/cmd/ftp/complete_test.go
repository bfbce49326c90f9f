package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/lineedit"
	"github.com/gosockets/tutorial/07-ftp/server"
)

// TestTabCompletion checks what Tab offers on the ftp> prompt: command
// names, remote names (directories with a slash) for get, cd, ls, rm and
// the second word of put, local names for the first word of put. The
// keystrokes themselves are lineedit's business (tested there through a
// pseudo-terminal).
func TestTabCompletion(t *testing.T) {
	data := t.TempDir()
	if err := accounts.Open(data).Add("tab", "pw", 1<<20); err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{DataDir: data, IdleTimeout: e2eTimeout}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-errc; !errors.Is(err, server.ErrServerClosed) {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	c, err := client.Dial(ctx, ln.Addr().String(), e2eTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("tab", "pw"); err != nil {
		t.Fatal(err)
	}
	c.Mkdir("docs")
	c.Mkdir("data")
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "report.txt"), []byte("r"), 0o644)
	if _, err := c.Put(filepath.Join(local, "report.txt"), "docs/report.txt"); err != nil {
		t.Fatal(err)
	}
	t.Chdir(local)

	sh := &shell{link: link{c: c}}
	comp := sh.completer()
	for _, tt := range []struct {
		line string
		want []string
	}{
		{"q", []string{"uit ", "uota "}},
		{"pw", []string{"d "}},
		{"get d", []string{"ata/", "ocs/"}},
		{"get docs/r", []string{"eport.txt "}},
		{"cd do", []string{"cs/"}},
		{"put re", []string{"port.txt "}},
		{"put report.txt docs/", []string{"report.txt "}},
		{"pwd x", nil},
	} {
		_, got := lineedit.Complete(comp, tt.line)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Tab after %q offers %q, want %q", tt.line, got, tt.want)
		}
	}
}
