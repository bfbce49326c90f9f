package main

// End-to-end tests: they build the real ftpd and ftp binaries and drive
// them through stdin, stdout and the exit status, as a student would.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosockets/tutorial/07-ftp/internal/bintest"
)

const e2eTimeout = 30 * time.Second

var programs bintest.Programs

// build compiles both binaries once per test process.
func build(t *testing.T) (ftp, ftpd string) {
	t.Helper()
	p := programs.Build(t, ".", "../ftpd")
	return p[0], p[1]
}

func TestMain(m *testing.M) {
	code := m.Run()
	programs.Remove()
	os.Exit(code)
}

// daemon is a running ftpd.
type daemon struct {
	addr, data string
	stdout     string // what it printed on stdout before serving
	demoPW     string
	cmd        *exec.Cmd
	logs       *bintest.Buffer
	logc       chan struct{} // gets a token after each log line
	killed     atomic.Bool
	exited     chan struct{} // closed when ftpd has exited and its output is read
	exitErr    error         // ftpd's exit status, set before exited is closed
}

// stop ends ftpd the way Ctrl-C does and waits until it has exited with
// status 0 (any status after kill).
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.exited:
		if d.exitErr != nil && runtime.GOOS != "windows" && !d.killed.Load() {
			t.Errorf("ftpd exited with %v after Ctrl-C, want status 0", d.exitErr)
		}
	case <-time.After(e2eTimeout):
		d.cmd.Process.Kill()
		t.Error("ftpd did not stop after Ctrl-C")
	}
}

// kill ends ftpd with SIGKILL (no shutdown at all).
func (d *daemon) kill(t *testing.T) {
	t.Helper()
	d.killed.Store(true)
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits until ftpd has logged a line containing s and returns it.
func (d *daemon) waitLog(t *testing.T, s string) string {
	t.Helper()
	deadline := time.After(e2eTimeout)
	for {
		for _, line := range strings.Split(d.logs.String(), "\n") {
			if strings.Contains(line, s) {
				return line
			}
		}
		select {
		case <-d.logc:
		case <-deadline:
			t.Fatalf("ftpd did not log %q; log:\n%s", s, d.logs.String())
		}
	}
}

var (
	servingRe = regexp.MustCompile(`msg=serving addr=(\S+)`)
	demoPWRe  = regexp.MustCompile(`(?m)^    (\S+)$`)
)

// startDaemon runs ftpd on 127.0.0.1:0 with data (a fresh directory if
// empty) and waits until it serves.
func startDaemon(t *testing.T, data string, flags ...string) *daemon {
	t.Helper()
	_, ftpd := build(t)
	fresh := data == ""
	if fresh {
		data = t.TempDir()
	}
	cmd := exec.Command(ftpd, append([]string{"-addr", "127.0.0.1:0", "-ftp-addr", "", "-data", data}, flags...)...)
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdout := new(bintest.Buffer)
	announced := make(chan struct{}) // closed once the demo password is printed
	stdoutDone := make(chan struct{})
	go func() {
		defer close(stdoutDone)
		sc := bufio.NewScanner(stdoutPipe)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(stdout, sc.Text())
			if !seen && strings.HasPrefix(sc.Text(), "It is shown only this once") {
				seen = true
				close(announced)
			}
		}
	}()
	addrc := make(chan string, 1)
	logDone := make(chan struct{})
	d := &daemon{data: data, cmd: cmd, logs: new(bintest.Buffer), logc: make(chan struct{}, 1), exited: make(chan struct{})}
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(d.logs, sc.Text())
			select {
			case d.logc <- struct{}{}:
			default:
			}
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
			if testing.Verbose() {
				fmt.Fprintln(os.Stderr, "ftpd:", sc.Text())
			}
		}
	}()
	go func() {
		<-logDone
		<-stdoutDone
		d.exitErr = cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() { d.stop(t) })
	select {
	case d.addr = <-addrc:
	case <-time.After(e2eTimeout):
		t.Fatal("ftpd did not start serving")
	}
	if fresh {
		select {
		case <-announced:
		case <-time.After(e2eTimeout):
			t.Fatalf("a fresh ftpd printed no demo password:\n%s", stdout.String())
		}
	}
	d.stdout = stdout.String()
	if m := demoPWRe.FindStringSubmatch(d.stdout); m != nil {
		d.demoPW = m[1]
	}
	return d
}

// bintest.Buffer is a bytes.Buffer that the exec package may write while
// the test reads it.

// admin runs "ftpd SUBCOMMAND -data DIR ARGS..." with stdin.
func (d *daemon) admin(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	_, ftpd := build(t)
	full := append([]string{args[0], "-data", d.data}, args[1:]...)
	cmd := exec.Command(ftpd, full...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ftpd %v: %v\n%s", full, err, out)
	}
	return string(out)
}

type result struct {
	stdout, stderr string
	code           int
}

// ftp runs the client against addr as user with password, feeding script
// on stdin, in directory dir.
func ftp(t *testing.T, dir, addr, user, password, script string, flags ...string) result {
	t.Helper()
	bin, _ := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", addr, "-user", user}, flags...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FTP_PASSWORD="+password)
	cmd.Stdin = strings.NewReader(script)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running ftp: %v", err)
	}
	return r
}

func randomFile(t *testing.T, dir, name string, size int) (string, string) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return p, hex.EncodeToString(s[:])
}

func fileSHA(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func wantOK(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
}

// TestReq1_LoginAndFirstStart: a fresh server creates demo with a random
// password printed once; that password logs in, a wrong one does not.
func TestReq1_LoginAndFirstStart(t *testing.T) {
	d := startDaemon(t, "")
	if d.demoPW == "" || !strings.Contains(d.stdout, "created user demo (quota 100 MiB)") {
		t.Fatalf("first start printed:\n%s", d.stdout)
	}
	r := ftp(t, t.TempDir(), d.addr, "demo", d.demoPW, "pwd\nquota\n")
	wantOK(t, r)
	if want := "logged in as demo\n/\nused 0 of 104857600 bytes"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("stdout = %q, want prefix %q", r.stdout, want)
	}
	for _, who := range [][2]string{{"demo", "wrong"}, {"nobody", d.demoPW}} {
		r := ftp(t, t.TempDir(), d.addr, who[0], who[1], "pwd\n")
		if r.code != 1 || r.stderr != "ftp: login failed: unknown user or wrong password\n" {
			t.Errorf("login as %s with a wrong password: exit %d, stderr %q", who[0], r.code, r.stderr)
		}
	}
	// A restart keeps the accounts and prints no password.
	d.stop(t)
	d2 := startDaemon(t, d.data)
	if d2.demoPW != "" {
		t.Errorf("second start printed a new password:\n%s", d2.stdout)
	}
	wantOK(t, ftp(t, t.TempDir(), d2.addr, "demo", d.demoPW, "pwd\n"))
}

// TestSecondServerOnOneDataDirIsRefused: quotas and the one-writer rule
// for part files live in one server's memory, so a second ftpd on the same
// data directory must not start; it says why in one line. Once the first
// has stopped, the same command starts.
func TestSecondServerOnOneDataDirIsRefused(t *testing.T) {
	d := startDaemon(t, "")
	_, ftpd := build(t)
	ctx, cancel := context.WithTimeout(t.Context(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ftpd, "-addr", "127.0.0.1:0", "-ftp-addr", "", "-data", d.data)
	out, err := cmd.CombinedOutput()
	want := "ftpd: data directory " + d.data + " is in use by another ftpd: stop it first, or give this one its own -data\n"
	if err == nil || string(out) != want {
		t.Errorf("second ftpd on the same data: %v, output %q; want exit status 1 and %q", err, out, want)
	}
	d.stop(t)
	d2 := startDaemon(t, d.data)
	wantOK(t, ftp(t, t.TempDir(), d2.addr, "demo", d.demoPW, "pwd\n"))
}

// TestReq2_12_UploadDownloadVerified: put and get of a 5 MiB file give the
// same bytes, and each side reports the verified SHA-256.
func TestReq2_12_UploadDownloadVerified(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	_, sum := randomFile(t, dir, "photo.jpg", 5<<20+3)
	r := ftp(t, dir, d.addr, "demo", d.demoPW, "put photo.jpg\nget photo.jpg copy.jpg\n")
	wantOK(t, r)
	for _, want := range []string{"put photo.jpg -> /photo.jpg: 5242883 bytes", "get photo.jpg -> copy.jpg: 5242883 bytes", "sha256 " + sum + " verified"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if got := fileSHA(t, filepath.Join(dir, "copy.jpg")); got != sum {
		t.Errorf("downloaded sha256 %s, want %s", got, sum)
	}
	if got := fileSHA(t, filepath.Join(d.data, "users", "demo", "files", "photo.jpg")); got != sum {
		t.Errorf("stored sha256 %s, want %s", got, sum)
	}
}

// TestReq12_CorruptionIsDetected: a stored file that rots on the server's
// disk (same size, same time) is caught by get, which keeps no local copy.
func TestReq12_CorruptionIsDetected(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	randomFile(t, dir, "data.bin", 100000)
	wantOK(t, ftp(t, dir, d.addr, "demo", d.demoPW, "put data.bin\n"))
	stored := filepath.Join(d.data, "users", "demo", "files", "data.bin")
	fi, _ := os.Stat(stored)
	b, _ := os.ReadFile(stored)
	b[50000] ^= 0x01
	os.WriteFile(stored, b, 0o644)
	os.Chtimes(stored, fi.ModTime(), fi.ModTime())
	r := ftp(t, dir, d.addr, "demo", d.demoPW, "get data.bin back.bin\npwd\n")
	if r.code != 1 || !strings.Contains(r.stderr, "error: checksum mismatch: get data.bin: server says sha256") ||
		!strings.Contains(r.stderr, "back.bin was not written") {
		t.Errorf("get of a corrupted file: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, name := range []string{"back.bin", "back.bin.part"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a failed check", name)
		}
	}
	if !strings.HasSuffix(r.stdout, "/\n") {
		t.Errorf("the session did not go on after the mismatch: %q", r.stdout)
	}
}

// TestReq3_8_HomesAndJail: users added with "ftpd useradd" each get their
// own home, cannot see each other's files, and cannot climb out.
func TestReq3_8_HomesAndJail(t *testing.T) {
	d := startDaemon(t, "")
	d.admin(t, "pw-alice\n", "useradd", "-quota", "1MiB", "alice")
	d.admin(t, "pw-alice-a\n", "useradd", "-quota", "1MiB", "alice_a")
	dir := t.TempDir()
	randomFile(t, dir, "diary.txt", 100)
	wantOK(t, ftp(t, dir, d.addr, "alice_a", "pw-alice-a", "put diary.txt\n"))
	r := ftp(t, dir, d.addr, "alice", "pw-alice", strings.Join([]string{
		"ls",
		"get ../alice_a/files/diary.txt",
		"get /../alice_a/files/diary.txt",
		"cd ..",
		"get /etc/passwd",
		"pwd",
	}, "\n")+"\n")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	wantErr := "error: get ../alice_a/files/diary.txt: path is outside your home directory\n" +
		"error: get /../alice_a/files/diary.txt: path is outside your home directory\n" +
		"error: cd ..: path is outside your home directory\n" +
		"error: get /etc/passwd: no such file or directory\n"
	if r.stderr != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, wantErr)
	}
	if r.stdout != "logged in as alice\n/\n" {
		t.Errorf("stdout = %q; alice must see an empty home and stay in /", r.stdout)
	}
	for _, u := range []string{"alice", "alice_a", "demo"} {
		if fi, err := os.Stat(filepath.Join(d.data, "users", u, "files")); u != "demo" && (err != nil || !fi.IsDir()) {
			t.Errorf("home of %s: %v", u, err)
		}
	}
}

// TestReq4_11_ListCurrentDirectory: ls prints type, size, time and name,
// one entry a line, for the current directory or the one named.
func TestReq4_11_ListCurrentDirectory(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	randomFile(t, dir, "a.txt", 1234)
	r := ftp(t, dir, d.addr, "demo", d.demoPW, "mkdir docs\nput a.txt\nput a.txt docs/b.txt\nls\ncd docs\nls\nls /\n")
	wantOK(t, r)
	line := regexp.MustCompile(`(?m)^(file|dir ) +(\d+)  \d{4}-\d\d-\d\d \d\d:\d\d  (\S+)$`)
	var got []string
	for _, m := range line.FindAllStringSubmatch(r.stdout, -1) {
		got = append(got, m[1]+" "+m[2]+" "+m[3])
	}
	want := []string{"file 1234 a.txt", "dir  0 docs/", "file 1234 b.txt", "file 1234 a.txt", "dir  0 docs/"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("listings = %q, want %q\nstdout:\n%s", got, want, r.stdout)
	}
}

// TestReq6_PasswordNeverOnTheWire records every byte between client and
// server through a proxy: the password is not among them, and the accounts
// file holds no password either.
func TestReq6_PasswordNeverOnTheWire(t *testing.T) {
	d := startDaemon(t, "")
	const pw = "Tr0ub4dor&3-unique-marker"
	d.admin(t, pw+"\n", "useradd", "zoe")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var wire bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s, err := net.DialTimeout("tcp", d.addr, e2eTimeout)
		if err != nil {
			return
		}
		defer s.Close()
		c.SetDeadline(time.Now().Add(e2eTimeout))
		s.SetDeadline(time.Now().Add(e2eTimeout))
		rec := func(dst, src net.Conn) {
			buf := make([]byte, 32<<10)
			for {
				n, err := src.Read(buf)
				mu.Lock()
				wire.Write(buf[:n])
				mu.Unlock()
				if _, werr := dst.Write(buf[:n]); err != nil || werr != nil {
					dst.(*net.TCPConn).CloseWrite()
					return
				}
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() { rec(s, c) })
		rec(c, s)
		wg.Wait()
	}()
	wantOK(t, ftp(t, t.TempDir(), ln.Addr().String(), "zoe", pw, "pwd\n"))
	ln.Close() // ends the proxy's Accept if the client never came
	<-done
	if wire.Len() == 0 || !bytes.Contains(wire.Bytes(), []byte("n=zoe")) {
		t.Fatalf("the proxy saw no SCRAM exchange (%d bytes)", wire.Len())
	}
	if bytes.Contains(wire.Bytes(), []byte(pw)) {
		t.Error("the password crossed the network")
	}
	acc, _ := os.ReadFile(filepath.Join(d.data, "accounts.json"))
	if bytes.Contains(acc, []byte(pw)) {
		t.Error("the password is in accounts.json")
	}
}

// TestReq7_SeveralUsersAtOnce runs five client processes, for five users,
// at the same time.
func TestReq7_SeveralUsersAtOnce(t *testing.T) {
	d := startDaemon(t, "")
	const n = 5
	for i := range n {
		d.admin(t, "pw\n", "useradd", fmt.Sprintf("u%d", i))
	}
	results := make([]result, n)
	sums := make([]string, n)
	dirs := make([]string, n)
	for i := range n {
		dirs[i] = t.TempDir()
		_, sums[i] = randomFile(t, dirs[i], "f", 300000+i)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = ftp(t, dirs[i], d.addr, fmt.Sprintf("u%d", i), "pw", "put f\nget f g\nls\n")
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 || r.stderr != "" {
			t.Errorf("user u%d: exit %d, stderr %q", i, r.code, r.stderr)
		}
		if got := fileSHA(t, filepath.Join(dirs[i], "g")); got != sums[i] {
			t.Errorf("user u%d got back sha256 %s, want %s", i, got, sums[i])
		}
	}
}

// TestReq9_PerUserQuota: two users with different quotas; the same upload
// fits one and is refused for the other, with the numbers.
func TestReq9_PerUserQuota(t *testing.T) {
	d := startDaemon(t, "")
	d.admin(t, "pw\n", "useradd", "-quota", "1KiB", "small")
	d.admin(t, "pw\n", "useradd", "-quota", "2KiB", "large")
	dir := t.TempDir()
	randomFile(t, dir, "f", 1500)
	r := ftp(t, dir, d.addr, "small", "pw", "put f\nquota\n")
	if r.code != 1 || r.stderr != "error: put f: quota exceeded: need 1500 B, 0 B of 1 KiB used, 1 KiB free\n" {
		t.Errorf("small: exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "used 0 of 1024 bytes") {
		t.Errorf("small: stdout %q", r.stdout)
	}
	r = ftp(t, dir, d.addr, "large", "pw", "put f\nquota\n")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "used 1500 of 2048 bytes (1.5 KiB of 2 KiB), 548 bytes free") {
		t.Errorf("large: stdout %q", r.stdout)
	}
	users := d.admin(t, "", "users")
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(users), "\n") {
		rows = append(rows, strings.Join(strings.Fields(line), " "))
	}
	if want := "NAME QUOTA USED FILES MAX-FILES|demo 104857600 0 0 10000|large 2048 1500 1 10000|small 1024 0 0 10000"; strings.Join(rows, "|") != want {
		t.Errorf("ftpd users printed:\n%s\nwant rows %q", users, want)
	}
	// A user directory that cannot be read does not hide the others.
	os.RemoveAll(filepath.Join(d.data, "users", "small"))
	os.WriteFile(filepath.Join(d.data, "users", "small"), nil, 0o644)
	_, ftpd := build(t)
	out, err := exec.Command(ftpd, "users", "-data", d.data).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "large       2048  1500") || !strings.Contains(string(out), "ftpd: cannot measure the usage of small") {
		t.Errorf("ftpd users with a broken user directory: %v\n%s", err, out)
	}
}

// TestReq10_ChangeDirectory: mkdir, cd into it, pwd; cd .. back.
func TestReq10_ChangeDirectory(t *testing.T) {
	d := startDaemon(t, "")
	r := ftp(t, t.TempDir(), d.addr, "demo", d.demoPW, "mkdir a\ncd a\nmkdir b\ncd b\npwd\ncd ../..\npwd\ncd /a/b\npwd\n")
	wantOK(t, r)
	if want := "logged in as demo\n/a/b\n/\n/a/b\n"; r.stdout != want {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
}

// TestBadInputSessionGoesOn types each kind of bad input: every one prints
// an error, the session goes on, and the exit status is 1.
func TestBadInputSessionGoesOn(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	randomFile(t, dir, "f", 10)
	randomFile(t, dir, "big", 2<<20)
	d.admin(t, "pw\n", "useradd", "-quota", "1MiB", "tiny")
	script := []string{
		"frobnicate",
		"cd",
		"cd a b",
		"get",
		"put f x y",
		"cd ../..",
		"get /etc/passwd",
		"get a/../../x",
		"get " + strings.Repeat("n", 256),
		"get missing",
		"mkdir d",
		"get d",
		"put big",
		"put f",
		"cd f",
		"mkdir d",
		"put f d/f",
		"rm d",
		"rm /",
		"pwd",
	}
	r := ftp(t, dir, d.addr, "tiny", "pw", strings.Join(script, "\n")+"\n")
	wantErr := []string{
		`error: unknown command "frobnicate" (try help)`,
		"error: usage: cd DIR",
		"error: usage: cd DIR",
		"error: usage: get REMOTE [LOCAL]",
		"error: usage: put LOCAL [REMOTE]",
		"error: cd ../..: path is outside your home directory",
		"error: get /etc/passwd: no such file or directory",
		"error: get a/../../x: path is outside your home directory",
		"error: get " + strings.Repeat("n", 256) + ": invalid file name: a name is 256 bytes long, limit 255",
		"error: get missing: no such file or directory",
		"error: get d: is a directory",
		"error: put big: quota exceeded: need 2 MiB, 0 B of 1 MiB used, 1 MiB free",
		"error: cd f: not a directory",
		"error: mkdir d: already exists",
		"error: rm d: directory not empty",
		"error: rm /: invalid file name: cannot remove the home itself",
	}
	if got := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(wantErr, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, strings.Join(wantErr, "\n"))
	}
	if r.code != 1 || !strings.HasSuffix(r.stdout, "\n/\n") {
		t.Errorf("exit %d, stdout %q; want 1 and the last pwd answered", r.code, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "d")); !errors.Is(err, os.ErrNotExist) {
		t.Error("get of a directory created a local file")
	}
}

// TestAdminCommands: passwd changes the password, userdel removes the
// account, users lists name, quota and usage.
func TestAdminCommands(t *testing.T) {
	d := startDaemon(t, "", "-login-delay", "1ns") // the old password fails, the new one follows at once
	out := d.admin(t, "first\n", "useradd", "-quota", "5MiB", "-files", "300", "kim")
	if out != "added user kim with a quota of 5 MiB and 300 files\n" {
		t.Errorf("useradd printed %q", out)
	}
	if r := ftp(t, t.TempDir(), d.addr, "kim", "first", "quota\n"); !strings.Contains(r.stdout, "0 of 300 files, directories and part files") {
		t.Errorf("kim's quota: %q", r.stdout)
	}
	d.admin(t, "second\n", "passwd", "kim")
	if r := ftp(t, t.TempDir(), d.addr, "kim", "first", "pwd\n"); r.code != 1 {
		t.Error("the old password still works")
	}
	wantOK(t, ftp(t, t.TempDir(), d.addr, "kim", "second", "pwd\n"))
	d.admin(t, "", "userdel", "kim")
	if r := ftp(t, t.TempDir(), d.addr, "kim", "second", "pwd\n"); r.code != 1 {
		t.Error("a deleted user logged in")
	}
	_, ftpd := build(t)
	for _, args := range [][]string{{"useradd", "-data", d.data, "Bad/Name"}, {"useradd", "-data", d.data, "-quota", "5MB", "x"}, {"passwd", "-data", d.data, "ghost"}} {
		cmd := exec.Command(ftpd, args...)
		cmd.Stdin = strings.NewReader("pw\n")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.HasPrefix(string(out), "ftpd: ") {
			t.Errorf("ftpd %v: %v, %q; want a one-line error and exit 1", args, err, out)
		}
	}
}

// TestClientConnectionErrors: no server, a bad address, and a server that
// goes away each give a one-line error and exit status 1.
func TestClientConnectionErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	ln.Close()
	for _, tt := range []struct{ addr, want string }{
		{free, "ftp: no server at " + free + " (connection refused): is the server running?"},
		{"127.0.0.1:notaport", `ftp: bad address "127.0.0.1:notaport": unknown port`},
	} {
		r := ftp(t, t.TempDir(), tt.addr, "demo", "x", "pwd\n")
		if r.code != 1 || r.stderr != tt.want+"\n" {
			t.Errorf("ftp -addr %s: exit %d, stderr %q", tt.addr, r.code, r.stderr)
		}
	}
	// A server that accepts and then hangs up at once.
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(e2eTimeout))
			io.CopyN(io.Discard, c, 1)
			c.Close()
		}
	}()
	r := ftp(t, t.TempDir(), ln.Addr().String(), "demo", "x", "pwd\n")
	if r.code != 1 || !strings.Contains(r.stderr, "connection to server lost") {
		t.Errorf("dropped connection: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestServerBusyOverMaxConns: with -max-conns 1 and one session logged in,
// the next client is told the server is busy, in one line, with exit
// status 1. (A connection that has not logged in does not take a session's
// place: see TestAttack1_UnauthenticatedFloodDoesNotLockUsersOut.)
func TestServerBusyOverMaxConns(t *testing.T) {
	d := startDaemon(t, "", "-max-conns", "1")
	bin, _ := build(t)
	hold := exec.Command(bin, "-addr", d.addr, "-user", "demo")
	hold.Env = append(os.Environ(), "FTP_PASSWORD="+d.demoPW)
	stdin, err := hold.StdinPipe() // open until the test ends: the session stays
	if err != nil {
		t.Fatal(err)
	}
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); hold.Wait() }()
	d.waitLog(t, "msg=login")
	r := ftp(t, t.TempDir(), d.addr, "demo", d.demoPW, "pwd\n")
	if r.code != 1 || r.stderr != "ftp: server busy: too many sessions, try again later\n" {
		t.Errorf("exit %d, stderr %q; want the busy message", r.code, r.stderr)
	}
}

// TestMoveQuotedNamesAndLsL: names with spaces go in quotes; mv renames a
// file and moves it into a directory, its verified checksum follows it (the
// get after the moves is served from it), and the quota does not change;
// ls -l is the long listing ls always prints; another option is refused
// in one line.
func TestMoveQuotedNamesAndLsL(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	_, sum := randomFile(t, dir, "my notes.txt", 1000)
	r := ftp(t, dir, d.addr, "demo", d.demoPW, strings.Join([]string{
		`mkdir "old notes"`,
		`put "my notes.txt"`,
		`quota`,
		`mv "my notes.txt" 'old notes'`,
		`ls "old notes"`,
		`mv "old notes/my notes.txt" renamed.txt`,
		`mv renamed.txt 'old notes'`,
		`cd 'old notes'`,
		`get renamed.txt back.txt`,
		`ls -l`,
		`ls -x`,
		`mv nothing-here x`,
		`quota`,
	}, "\n")+"\n")
	if r.code != 1 {
		t.Errorf("exit %d, want 1 (ls -x and the mv of a missing name fail)", r.code)
	}
	wantErr := "error: ls: unknown option -x (ls always lists type, size, time and name; -l is accepted and changes nothing)\n" +
		"error: mv nothing-here: no such file or directory\n"
	if r.stderr != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, wantErr)
	}
	for _, want := range []string{
		"put my notes.txt -> /my notes.txt: 1000 bytes",
		"  'my notes.txt'\n",
		"get renamed.txt -> back.txt: 1000 bytes",
		"  renamed.txt\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, "used 1000 of 104857600 bytes"); n != 2 {
		t.Errorf("quota before and after the moves: %d of 2 say 1000 bytes used:\n%s", n, r.stdout)
	}
	if got := fileSHA(t, filepath.Join(dir, "back.txt")); got != sum {
		t.Errorf("the moved file came back with sha256 %s, want %s", got, sum)
	}
	if line := d.waitLog(t, "msg=get"); !strings.Contains(line, "cached_sum=true") {
		t.Errorf("the get after the moves did not use the recorded checksum: %s", line)
	}
}
