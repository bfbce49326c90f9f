package note_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/07-ftp/internal/bintest"
)

const timeout = 20 * time.Second

var programs bintest.Programs

// build compiles the note's two Go programs once.
func build(t *testing.T) (server, client string) {
	t.Helper()
	p := programs.Build(t, "./server", "./client")
	return p[0], p[1]
}

func TestMain(m *testing.M) {
	code := m.Run()
	programs.Remove()
	os.Exit(code)
}

// python returns the path of python3, or skips the test where there is
// none (in CI, .ci/run installs it, and its absence fails the test).
func python(t *testing.T) string { return bintest.Tool(t, "python3") }

// command returns how to run the note's server or client in language
// lang ("go" or "python"), given its address argument.
func command(t *testing.T, lang, prog, addr string) *exec.Cmd {
	t.Helper()
	server, client := build(t)
	switch {
	case lang == "go" && prog == "server":
		return exec.Command(server, "-addr", addr)
	case lang == "go":
		return exec.Command(client, "-addr", addr)
	}
	script, err := filepath.Abs(filepath.Join("testdata", prog+".py"))
	if err != nil {
		t.Fatal(err)
	}
	return exec.Command(python(t), script, addr)
}

var startRe = regexp.MustCompile(`^start\.\.\.\.\. (\S+)$`)

// startServer runs the server in dir on 127.0.0.1:0 until the test ends
// and returns the address it printed.
func startServer(t *testing.T, lang, dir string) string {
	t.Helper()
	cmd := command(t, lang, "server", "127.0.0.1:0")
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := startRe.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
	}()
	select {
	case addr := <-addrc:
		return addr
	case <-time.After(timeout):
		t.Fatalf("the %s server did not start", lang)
		return ""
	}
}

// runClient runs the client in dir with the lines of stdin, as a student
// types them, and returns what it printed and its exit status.
func runClient(t *testing.T, lang, dir, addr, stdin string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := command(t, lang, "client", addr)
	cmd := exec.CommandContext(ctx, c.Path, c.Args[1:]...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the %s client did not end:\n%s", lang, out.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

// TestNoteHomework runs each client against each server, Go and Python
// (the note's way), in all four pairings: a login, a put from one
// directory, a get into another, a missing file, a wrong password.
func TestNoteHomework(t *testing.T) {
	for _, srv := range []string{"go", "python"} {
		for _, cli := range []string{"go", "python"} {
			t.Run(cli+" client, "+srv+" server", func(t *testing.T) {
				home := t.TempDir()
				addr := startServer(t, srv, home)
				up, down := t.TempDir(), t.TempDir()
				content := "我的笔记: notes of the day\n"
				if err := os.WriteFile(filepath.Join(up, "notes.txt"), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				sum := fmt.Sprintf("%d bytes, md5 %x ok", len(content), md5.Sum([]byte(content)))
				out, code := runClient(t, cli, up, addr, "alice\nalice123\nput notes.txt\n")
				want := "user: password: login ok\n>> :put notes.txt " + sum + "\n>> :"
				if code != 0 || out != want {
					t.Errorf("put: exit %d, output %q; want 0, %q", code, out, want)
				}
				if b, err := os.ReadFile(filepath.Join(home, "home", "alice", "notes.txt")); err != nil || string(b) != content {
					t.Errorf("the server's copy: %q, %v", b, err)
				}
				out, code = runClient(t, cli, down, addr, "alice\nalice123\nget notes.txt\nget nothing.txt\n")
				if code != 0 || !strings.Contains(out, "get notes.txt "+sum+"\n") ||
					!strings.Contains(out, "get nothing.txt failed: no such file\n") {
					t.Errorf("get: exit %d, output %q", code, out)
				}
				if b, err := os.ReadFile(filepath.Join(down, "notes.txt")); err != nil || string(b) != content {
					t.Errorf("the downloaded copy: %q, %v", b, err)
				}
				if out, code = runClient(t, cli, down, addr, "alice\nwrong\n"); code != 1 || out != "user: password: login failed\n" {
					t.Errorf("a wrong password: exit %d, output %q", code, out)
				}
			})
		}
	}
}
