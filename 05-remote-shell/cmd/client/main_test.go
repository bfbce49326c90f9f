package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

func startServer(t *testing.T, s *rsh.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.TempDir = t.TempDir()
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-errc; !errors.Is(err, rsh.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

func runClient(t *testing.T, args []string, input string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errw bytes.Buffer
	err = run(ctx, args, strings.NewReader(input), &out, &errw)
	return out.String(), errw.String(), err
}

func TestClientPrintsOutputAndNonZeroExitCodes(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	stdout, stderr, err := runClient(t, []string{"-addr", addr}, "echo hello\n\nexit 4\necho err >&2\n")
	if err != nil {
		t.Fatalf("run() = %v", err)
	}
	// No prompt: stdin is not a terminal. The empty line is skipped.
	if stdout != "hello\n" {
		t.Errorf("stdout = %q, want %q", stdout, "hello\n")
	}
	if stderr != "[exit code 4]\nerr\n" {
		t.Errorf("stderr = %q, want %q", stderr, "[exit code 4]\nerr\n")
	}
}

func TestClaimR4_ClientDecodesGBK(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	stdout, _, err := runClient(t, []string{"-addr", addr, "-encoding", "gbk"}, `printf '\326\320\316\304\n'`+"\n")
	if err != nil || stdout != "中文\n" {
		t.Errorf("client -encoding gbk: stdout %q, err %v; want %q, nil", stdout, err, "中文\n")
	}
}

func TestClientTellsWhyACommandWasKilled(t *testing.T) {
	addr := startServer(t, &rsh.Server{Timeout: 200 * time.Millisecond})
	_, stderr, err := runClient(t, []string{"-addr", addr}, "sleep 60\n")
	want := "[killed by the server: time limit 200ms exceeded; exit code -1]\n"
	if err != nil || stderr != want {
		t.Errorf("stderr %q, err %v; want %q, nil", stderr, err, want)
	}
}

func TestClientErrors(t *testing.T) {
	// A port with no listener: take one and close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no server", []string{"-addr", closedAddr}, "connection refused"},
		{"bad address", []string{"-addr", "no-port-here"}, "missing port"},
		{"bad flag", []string{"-bogus"}, "flag provided but not defined"},
		{"bad encoding", []string{"-encoding", "latin9"}, "unknown -encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runClient(t, tt.args, "echo hi\n")
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("run(%q) error = %v, want one line containing %q", tt.args, err, tt.want)
			}
		})
	}
}
