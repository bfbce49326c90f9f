package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosockets/tutorial/07-ftp/internal/bintest"
	"github.com/gosockets/tutorial/07-ftp/internal/faultproxy"
)

// relay forwards connections to a target. On the first, once after bytes
// have gone up, it stops forwarding (the client's writes back up; nothing
// is cut) until release is closed; then it closes both sides. It lets a
// test catch a real binary in the middle of an upload. Later connections
// (a client that logs in again after Ctrl-C) are forwarded as they are.
type relay struct {
	addr    string
	reached chan struct{}
	release chan struct{}
}

func startRelay(t *testing.T, target string, after int64) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{addr: ln.Addr().String(), reached: make(chan struct{}), release: make(chan struct{})}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		select {
		case <-r.release:
		default:
			close(r.release)
		}
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { r.forward(c, target, after, n == 0) })
		}
	})
	return r
}

// forward relays c to target; with stall, it stops after `after` bytes up
// until release.
func (r *relay) forward(c net.Conn, target string, after int64, stall bool) {
	defer c.Close()
	s, err := net.DialTimeout("tcp", target, e2eTimeout)
	if err != nil {
		return
	}
	defer s.Close()
	c.SetDeadline(time.Now().Add(e2eTimeout))
	s.SetDeadline(time.Now().Add(e2eTimeout))
	down := make(chan struct{})
	go func() { io.Copy(c, s); close(down) }()
	if !stall {
		io.Copy(s, c)
		s.(*net.TCPConn).CloseWrite()
		<-down
		return
	}
	if _, err := io.CopyN(s, c, after); err == nil {
		close(r.reached)
	}
	<-r.release
	c.Close()
	s.Close()
	<-down
}

func (r *relay) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.reached:
	case <-time.After(e2eTimeout):
		t.Fatal("the upload never got going through the relay")
	}
}

// startFTP starts the client binary with script on stdin.
func startFTP(t *testing.T, dir, addr, password, script string, flags ...string) (*exec.Cmd, *bintest.Buffer, *bintest.Buffer) {
	t.Helper()
	bin, _ := build(t)
	cmd := exec.Command(bin, append([]string{"-addr", addr, "-user", "demo"}, flags...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FTP_PASSWORD="+password)
	cmd.Stdin = strings.NewReader(script)
	out, errOut := new(bintest.Buffer), new(bintest.Buffer)
	cmd.Stdout, cmd.Stderr = out, errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, out, errOut
}

func waitExit(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(e2eTimeout):
		t.Fatal("ftp did not exit")
		return nil
	}
}

var keptRe = regexp.MustCompile(`bytes=(\d+)`)

// partSize returns the size of demo's only part file on the server.
func partSize(t *testing.T, data string) int64 {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(data, "users", "demo", "parts", "*.part"))
	if len(m) != 1 {
		t.Fatalf("part files: %v; want one", m)
	}
	fi, err := os.Stat(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// resumeThroughCounter runs "put big.bin" again through a proxy that counts
// the bytes, and checks that only the rest moved and that the file stored
// verifies.
func resumeThroughCounter(t *testing.T, d *daemon, dir, pw string, size, part int64, sum string) {
	t.Helper()
	p, err := faultproxy.Start(d.addr, faultproxy.NoFault)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := ftp(t, dir, p.Addr(), "demo", pw, "put big.bin\n")
	wantOK(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	st, err := p.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rest := size - part
	want := fmt.Sprintf("(resumed at %d, sent %d)", part, rest)
	if part == 0 {
		want = fmt.Sprintf("put big.bin -> /big.bin: %d bytes in", size)
	}
	if !strings.Contains(r.stdout, want) {
		t.Errorf("resumed put said %q; want %q", r.stdout, want)
	}
	if st.Up < rest || st.Up > rest+8<<10 {
		t.Errorf("the resumed put moved %d bytes up; want the %d remaining plus a few KiB of protocol", st.Up, rest)
	}
	t.Logf("part %d of %d bytes; resumed put moved %d bytes on the wire", part, size, st.Up)
	if got := fileSHA(t, filepath.Join(d.data, "users", "demo", "files", "big.bin")); got != sum {
		t.Errorf("stored sha256 %s, want %s", got, sum)
	}
	if m, _ := filepath.Glob(filepath.Join(d.data, "users", "demo", "parts", "*")); len(m) != 0 {
		t.Errorf("part files left: %v", m)
	}
}

const bigSize = 24 << 20

// TestReq14_ClientKilledMidUploadResumes SIGKILLs the ftp binary in the
// middle of an upload; the server keeps the part, and the same command run
// again sends only the rest.
func TestReq14_ClientKilledMidUploadResumes(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	_, sum := randomFile(t, dir, "big.bin", bigSize)
	rl := startRelay(t, d.addr, 5<<20)
	cmd, _, _ := startFTP(t, dir, rl.addr, d.demoPW, "put big.bin\n")
	rl.wait(t)
	cmd.Process.Kill()
	waitExit(t, cmd)
	close(rl.release)
	line := d.waitLog(t, "part file kept for resume")
	m := keptRe.FindStringSubmatch(line)
	part, _ := strconv.ParseInt(m[1], 10, 64)
	if part != partSize(t, d.data) || part == 0 || part > 5<<20 {
		t.Fatalf("kept %q, part on disk %d", line, partSize(t, d.data))
	}
	resumeThroughCounter(t, d, dir, d.demoPW, bigSize, part, sum)
}

// TestReq14_ClientCtrlCMidUploadResumes is what a student does: Ctrl-C in
// the middle of a big put, then the same command again.
func TestReq14_ClientCtrlCMidUploadResumes(t *testing.T) {
	if os.PathSeparator == '\\' {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	d := startDaemon(t, "")
	dir := t.TempDir()
	_, sum := randomFile(t, dir, "big.bin", bigSize)
	rl := startRelay(t, d.addr, 3<<20)
	cmd, _, errOut := startFTP(t, dir, rl.addr, d.demoPW, "put big.bin\n")
	rl.wait(t)
	cmd.Process.Signal(os.Interrupt)
	if err := waitExit(t, cmd); err == nil || !strings.Contains(errOut.String(), "interrupted: run the same command again to resume") {
		t.Errorf("Ctrl-C: exit %v, stderr %q", err, errOut.String())
	}
	close(rl.release)
	d.waitLog(t, "part file kept for resume")
	resumeThroughCounter(t, d, dir, d.demoPW, bigSize, partSize(t, d.data), sum)
}

// TestReq14_ServerKilledMidUploadResumes SIGKILLs ftpd in the middle of an
// upload and starts it again on the same data: the part file survives the
// crash, counts in "ftpd users", and the put resumes from it.
func TestReq14_ServerKilledMidUploadResumes(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	_, sum := randomFile(t, dir, "big.bin", bigSize)
	rl := startRelay(t, d.addr, 4<<20)
	cmd, _, errOut := startFTP(t, dir, rl.addr, d.demoPW, "put big.bin\n")
	rl.wait(t)
	d.kill(t)
	<-d.exited
	close(rl.release)
	if err := waitExit(t, cmd); err == nil {
		t.Errorf("ftp exited 0 after the server died; stderr %q", errOut.String())
	}
	part := partSize(t, d.data)
	if part == 0 {
		t.Fatal("no bytes reached the part file")
	}
	d2 := startDaemon(t, d.data)
	if out := d2.admin(t, "", "users"); !strings.Contains(out, strconv.FormatInt(part, 10)) {
		t.Errorf("ftpd users does not count the %d-byte part:\n%s", part, out)
	}
	resumeThroughCounter(t, d2, dir, d.demoPW, bigSize, part, sum)
}

// TestChangedFileStartsOverWithANote: the local file changed since the
// interrupted put, so the server's part is not its prefix; the client says
// so on stderr, uploads the whole file, and exits 0.
func TestChangedFileStartsOverWithANote(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	randomFile(t, dir, "big.bin", 1<<20)
	p, err := faultproxy.Start(d.addr, faultproxy.Fault{Dir: faultproxy.ClientToServer, After: 300_000})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if r := ftp(t, dir, p.Addr(), "demo", d.demoPW, "put big.bin\n"); r.code != 1 {
		t.Fatalf("cut put: exit %d", r.code)
	}
	d.waitLog(t, "part file kept for resume")
	part := partSize(t, d.data)
	_, sum := randomFile(t, dir, "big.bin", 1<<20) // new content, same name
	r := ftp(t, dir, d.addr, "demo", d.demoPW, "put big.bin\n")
	want := fmt.Sprintf("note: big.bin: discarded a part of %d bytes from an earlier attempt (it did not match this file) and started over\n", part)
	if r.code != 0 || r.stderr != want || !strings.Contains(r.stdout, "put big.bin -> /big.bin: 1048576 bytes in") || strings.Contains(r.stdout, "resumed") {
		t.Errorf("put of a changed file: exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
	}
	if got := fileSHA(t, filepath.Join(d.data, "users", "demo", "files", "big.bin")); got != sum {
		t.Error("stored file is not the new content")
	}
}
