package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The end-to-end tests build the real server and client and drive them
// through their stdin, stdout, stderr and exit status.

const e2eTimeout = 60 * time.Second

// build compiles the two commands into a temporary directory.
func build(t *testing.T) (server, client string) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("the server runs commands with sh, which is not installed")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), "../server", "../client")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "server"), filepath.Join(dir, "client")
}

// serverProc is a running server binary whose log lines arrive on lines.
type serverProc struct {
	cmd   *exec.Cmd
	addr  string
	lines chan string
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServer starts the server binary on a free loopback port and waits
// until it logs its address.
func startServer(t *testing.T, bin string, args ...string) *serverProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, lines: make(chan string, 1000)}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	m := p.waitFor(t, listeningRE)
	p.addr = m[1]
	return p
}

// waitFor returns the first log line matching re, failing after e2eTimeout.
func (p *serverProc) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	timer := time.NewTimer(e2eTimeout)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("server log ended before a line matching %v", re)
			}
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-timer.C:
			t.Fatalf("no server log line matching %v within %v", re, e2eTimeout)
		}
	}
}

// runBin runs a binary with input on stdin and returns its output and exit code.
func runBin(t *testing.T, bin, input string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(input)
	var out, errw bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errw
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", bin, err)
	}
	return out.String(), errw.String(), code
}

func TestEndToEnd(t *testing.T) {
	server, client := build(t)

	t.Run("framed session", func(t *testing.T) {
		srv := startServer(t, server, "-max-output", "100")
		stdout, stderr, code := runBin(t, client,
			"echo hello\nseq 1 1000 | tail -n 1\nexit 3\nyes\ncat\necho bye\n", "-addr", srv.addr)
		if code != 0 {
			t.Errorf("client exit status %d, want 0; stderr:\n%s", code, stderr)
		}
		wantOut := "hello\n1000\n" + strings.Repeat("y\n", 50) + "bye\n"
		if stdout != wantOut {
			t.Errorf("client stdout = %q, want %q", stdout, wantOut)
		}
		wantErr := "[exit code 3]\n" +
			"[killed by the server: output limit of 100 bytes exceeded; exit code -1]\n"
		if stderr != wantErr {
			t.Errorf("client stderr = %q, want %q", stderr, wantErr)
		}
	})

	t.Run("time limit", func(t *testing.T) {
		srv := startServer(t, server, "-timeout", "500ms")
		stdout, stderr, code := runBin(t, client, "sleep 30\n", "-addr", srv.addr)
		want := "[killed by the server: time limit 500ms exceeded; exit code -1]\n"
		if code != 0 || stdout != "" || stderr != want {
			t.Errorf("client: exit %d, stdout %q, stderr %q; want 0, \"\", %q", code, stdout, stderr, want)
		}
	})

	t.Run("unframed session shows R2", func(t *testing.T) {
		srv := startServer(t, server, "-unframed")
		stdout, stderr, code := runBin(t, client, "seq 1 1000\necho second\n", "-addr", srv.addr, "-unframed")
		if code != 0 {
			t.Errorf("client exit status %d, want 0; stderr:\n%s", code, stderr)
		}
		// Two reads of at most 1024 bytes each take only seq's output, so
		// "second" never shows: it waits in the socket behind seq's rest.
		if strings.Contains(stdout, "second") || !strings.HasPrefix(stdout, "1\n2\n3\n") {
			t.Errorf("unframed client stdout = %.80q..., want seq's output only", stdout)
		}
	})

	t.Run("no server", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, stderr, code := runBin(t, client, "echo hi\n", "-addr", addr)
		checkOneLineError(t, stderr, code, "client: cannot connect to "+addr, "connection refused")
	})

	t.Run("bad address", func(t *testing.T) {
		_, stderr, code := runBin(t, client, "echo hi\n", "-addr", "localhost")
		checkOneLineError(t, stderr, code, "client: cannot connect to localhost", "missing port")
	})

	t.Run("dropped connection", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.SetDeadline(time.Now().Add(e2eTimeout))
			io.ReadAtLeast(conn, make([]byte, 64), 1) // take the request, then hang up
			conn.Close()
		}()
		_, stderr, code := runBin(t, client, "echo hi\n", "-addr", ln.Addr().String())
		checkOneLineError(t, stderr, code, "client: connection dropped by the server")
	})

	t.Run("server refuses a non-loopback address", func(t *testing.T) {
		_, stderr, code := runBin(t, server, "", "-addr", "0.0.0.0:0")
		checkOneLineError(t, stderr, code, "server: listen 0.0.0.0:0: address is not loopback", "-allow-remote")
	})

	t.Run("Ctrl-C stops the server and the running command", func(t *testing.T) {
		srv := startServer(t, server)
		ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
		defer cancel()
		cl := exec.CommandContext(ctx, client, "-addr", srv.addr)
		cl.Stdin = strings.NewReader("sleep 600\n")
		var clErr bytes.Buffer
		cl.Stderr = &clErr
		if err := cl.Start(); err != nil {
			t.Fatal(err)
		}
		srv.waitFor(t, regexp.MustCompile(`msg=running .*command="sleep 600"`))
		if err := srv.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		srv.waitFor(t, regexp.MustCompile(`msg="shutting down"`))
		if err := srv.cmd.Wait(); err != nil {
			t.Errorf("server after Ctrl-C: %v, want exit status 0", err)
		}
		// The client is told why its command died, then the server hangs up;
		// the client, at the end of its input, exits normally.
		if err := cl.Wait(); err != nil {
			t.Errorf("client when the server stops: %v, want exit status 0", err)
		}
		want := "[killed by the server: server shutting down; exit code -1]\n"
		if clErr.String() != want {
			t.Errorf("client stderr = %q, want %q", clErr.String(), want)
		}
	})
}

// checkOneLineError checks a failed run: exit status 1 and one line of
// stderr that starts with prefix and contains each of the others.
func checkOneLineError(t *testing.T, stderr string, code int, prefix string, contains ...string) {
	t.Helper()
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, prefix) {
		t.Errorf("stderr = %q, want one line starting %q", stderr, prefix)
	}
	for _, want := range contains {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q, want it to contain %q", stderr, want)
		}
	}
}
