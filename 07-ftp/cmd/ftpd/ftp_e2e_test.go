package main

// End-to-end tests of the standard FTP listener: they build the real ftpd
// and ftp binaries, start ftpd as a person would, and reach it with curl
// and with this chapter's ftp client, so that one file crosses from one
// protocol to the other.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosockets/tutorial/07-ftp/internal/bintest"
)

const e2eTimeout = 30 * time.Second

var programs bintest.Programs

// build compiles both binaries once per test process.
func build(t *testing.T) (ftp, ftpd string) {
	t.Helper()
	p := programs.Build(t, "../ftp", ".")
	return p[0], p[1]
}

func TestMain(m *testing.M) {
	code := m.Run()
	programs.Remove()
	os.Exit(code)
}

var (
	servingRe    = regexp.MustCompile(`msg=serving addr=(\S+)`)
	servingFTPRe = regexp.MustCompile(`msg="serving FTP" addr=(\S+)`)
	demoPWRe     = regexp.MustCompile(`(?m)^    (\S+)$`)
)

// daemon is a running ftpd with both listeners.
type daemon struct {
	addr, ftpAddr, data, demoPW, cert string
	cmd                               *exec.Cmd
	logs                              *bintest.Buffer
	exited                            chan error
}

// startFtpd starts ftpd on 127.0.0.1:0 for both protocols with a fresh
// data directory, and reads the demo password it prints. withTLS serves
// TLS with a certificate from ftpd gencert.
func startFtpd(t *testing.T, withTLS bool, extra ...string) *daemon {
	t.Helper()
	_, ftpd := build(t)
	d := &daemon{data: filepath.Join(t.TempDir(), "data"), logs: &bintest.Buffer{}, exited: make(chan error, 1)}
	args := []string{"-addr", "127.0.0.1:0", "-ftp-addr", "127.0.0.1:0", "-data", d.data}
	if withTLS {
		dir := t.TempDir()
		d.cert = filepath.Join(dir, "cert.pem")
		key := filepath.Join(dir, "key.pem")
		if out, err := exec.Command(ftpd, "gencert", "-cert", d.cert, "-key", key).CombinedOutput(); err != nil {
			t.Fatalf("ftpd gencert: %v\n%s", err, out)
		}
		args = append(args, "-tls-cert", d.cert, "-tls-key", key)
	}
	d.cmd = exec.Command(ftpd, append(args, extra...)...)
	var stdout bintest.Buffer
	stdoutPipe, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	announced := make(chan struct{}) // closed once the demo password is printed
	stdoutDone := make(chan struct{})
	go func() {
		defer close(stdoutDone)
		sc := bufio.NewScanner(stdoutPipe)
		for sc.Scan() {
			fmt.Fprintln(&stdout, sc.Text())
			if strings.HasPrefix(sc.Text(), "It is shown only this once") {
				close(announced)
			}
		}
	}()
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrs := make(chan [2]string, 1)
	started := addrs
	go func() {
		var a [2]string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(d.logs, sc.Text())
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				a[0] = m[1]
			}
			if m := servingFTPRe.FindStringSubmatch(sc.Text()); m != nil {
				a[1] = m[1]
			}
			if a[0] != "" && a[1] != "" && addrs != nil {
				addrs <- a
				addrs = nil
			}
		}
		<-stdoutDone
		d.exited <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		d.cmd.Process.Signal(os.Interrupt)
		select {
		case <-d.exited:
		case <-time.After(e2eTimeout):
			d.cmd.Process.Kill()
			t.Error("ftpd did not stop after Ctrl-C")
		}
		if t.Failed() {
			t.Logf("ftpd log:\n%s", d.logs.String())
		}
	})
	select {
	case a := <-started:
		d.addr, d.ftpAddr = a[0], a[1]
	case err := <-d.exited:
		t.Fatalf("ftpd exited: %v\n%s", err, d.logs.String())
	case <-time.After(e2eTimeout):
		t.Fatal("ftpd did not start serving")
	}
	select {
	case <-announced:
	case <-time.After(e2eTimeout):
		t.Fatalf("ftpd printed no demo password:\n%s", stdout.String())
	}
	m := demoPWRe.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("ftpd printed no demo password:\n%s", stdout.String())
	}
	d.demoPW = m[1]
	return d
}

// runProg runs a program in dir within the test deadline.
func runProg(t *testing.T, dir string, env []string, stdin string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	path := name
	if !filepath.IsAbs(name) {
		path = bintest.Tool(t, name)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "HOME="+dir), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	return result{o.String(), e.String(), err}
}

// result is what a program printed, and how it exited.
type result struct {
	stdout, stderr string
	err            error
}

// curl runs curl against the FTP listener as user; url is the path after
// the host.
func (d *daemon) curl(t *testing.T, dir, user, pw string, args ...string) result {
	t.Helper()
	a := []string{"-sS", "--max-time", "20"}
	if d.cert != "" {
		a = append(a, "--ssl-reqd", "--cacert", d.cert)
	}
	for i, s := range args {
		if strings.HasPrefix(s, "/") {
			args[i] = "ftp://" + user + ":" + pw + "@" + d.ftpAddr + s
		}
	}
	return runProg(t, dir, nil, "", "curl", append(a, args...)...)
}

// ftp runs this chapter's client with a script on stdin.
func (d *daemon) ftp(t *testing.T, dir, user, pw, script string) result {
	t.Helper()
	bin, _ := build(t)
	args := []string{"-addr", d.addr, "-user", user}
	if d.cert != "" {
		args = append(args, "-tls-ca", d.cert)
	}
	return runProg(t, dir, []string{"FTP_PASSWORD=" + pw}, script, bin, args...)
}

func mustOK(t *testing.T, what string, r result) string {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", what, r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

func randomFile(t *testing.T, dir, name string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFTPDemoFlow is the README's first minutes: a fresh ftpd prints the
// demo password, and curl lists the demo home with it.
func TestFTPDemoFlow(t *testing.T) {
	d := startFtpd(t, false)
	dir := t.TempDir()
	randomFile(t, dir, "hello.txt", 12)
	mustOK(t, "ftp put", d.ftp(t, dir, "demo", d.demoPW, "put hello.txt\n"))
	out := mustOK(t, "curl list", d.curl(t, dir, "demo", d.demoPW, "/"))
	if !strings.Contains(out, " hello.txt") || !strings.Contains(out, " 12 ") {
		t.Errorf("curl ftp://demo:...@%s/ = %q; want the listing of the demo home", d.ftpAddr, out)
	}
}

// TestCrossProtocol: a file put with curl is fetched, verified, by the
// chapter's client, and a file put by the client is fetched by curl; in
// clear and over TLS.
func TestCrossProtocol(t *testing.T) {
	for _, withTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "clear", true: "tls"}[withTLS], func(t *testing.T) {
			d := startFtpd(t, withTLS)
			dir := t.TempDir()
			viaCurl := randomFile(t, dir, "via-curl.bin", 500_000)
			viaFtp := randomFile(t, dir, "via-ftp.bin", 400_000)
			mustOK(t, "curl -T", d.curl(t, dir, "demo", d.demoPW, "-T", "via-curl.bin", "/via-curl.bin"))
			out := mustOK(t, "ftp get", d.ftp(t, dir, "demo", d.demoPW, "get via-curl.bin got-by-ftp.bin\nput via-ftp.bin\n"))
			if !strings.Contains(out, "got-by-ftp.bin: 500000 bytes") || !strings.Contains(out, "verified") {
				t.Errorf("our client's get of curl's upload:\n%s", out)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "got-by-ftp.bin")); !bytes.Equal(got, viaCurl) {
				t.Error("our client got other bytes than curl put")
			}
			mustOK(t, "curl get", d.curl(t, dir, "demo", d.demoPW, "-o", "got-by-curl.bin", "/via-ftp.bin"))
			if got, _ := os.ReadFile(filepath.Join(dir, "got-by-curl.bin")); !bytes.Equal(got, viaFtp) {
				t.Error("curl got other bytes than our client put")
			}
		})
	}
}

// TestQuotaAcrossProtocols: a user's bytes count once, whichever protocol
// stored them.
func TestQuotaAcrossProtocols(t *testing.T) {
	d := startFtpd(t, false)
	_, ftpd := build(t)
	mustOK(t, "useradd", runProg(t, t.TempDir(), nil, "kimpw\n", ftpd, "useradd", "-data", d.data, "-quota", "100KiB", "kim"))
	dir := t.TempDir()
	randomFile(t, dir, "a.bin", 60_000)
	randomFile(t, dir, "b.bin", 60_000)
	mustOK(t, "ftp put", d.ftp(t, dir, "kim", "kimpw", "put a.bin\n"))
	if r := d.curl(t, dir, "kim", "kimpw", "-T", "b.bin", "/b.bin"); r.err == nil || !strings.Contains(r.stderr, "(70) Exceeded storage allocation") {
		t.Errorf("curl upload over the quota left by our client: %v, %q; want curl's error 70, its name for a 552", r.err, r.stderr)
	}
	mustOK(t, "curl DELE", d.curl(t, dir, "kim", "kimpw", "-Q", "DELE a.bin", "/"))
	mustOK(t, "curl -T", d.curl(t, dir, "kim", "kimpw", "-T", "b.bin", "/b.bin"))
	if r := d.ftp(t, dir, "kim", "kimpw", "put a.bin\n"); r.err == nil || !strings.Contains(r.stderr, "quota") {
		t.Errorf("our client's upload over the quota left by curl: %v, %q; want a quota error", r.err, r.stderr)
	}
	out := mustOK(t, "ftp quota", d.ftp(t, dir, "kim", "kimpw", "quota\n"))
	if !strings.Contains(out, "58.6 KiB") {
		t.Errorf("quota after curl's upload of 60000 bytes:\n%s", out)
	}
}

// TestFTPAddrNeedsTLSOffLoopback: ftpd refuses to serve FTP in clear on
// an address other machines reach, in one line, and does not start.
func TestFTPAddrNeedsTLSOffLoopback(t *testing.T) {
	_, ftpd := build(t)
	r := runProg(t, t.TempDir(), nil, "", ftpd, "-addr", "127.0.0.1:0", "-ftp-addr", "0.0.0.0:0", "-data", filepath.Join(t.TempDir(), "d"))
	stdout, stderr, err := r.stdout, r.stderr, r.err
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("exit: %v, want status 2", err)
	}
	if n := strings.Count(stderr, "\n"); n != 1 || !strings.Contains(stderr, "not a loopback address") || !strings.Contains(stderr, "-tls-cert") {
		t.Errorf("stderr = %q; want one line naming the reason and -tls-cert", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q; want nothing (no account made, nothing served)", stdout)
	}
	for _, bad := range []string{"5-1", "x", "0-10", "1-70000"} {
		r := runProg(t, t.TempDir(), nil, "", ftpd, "-ftp-addr", "", "-pasv-ports", bad)
		stderr, err := r.stderr, r.err
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(stderr, "-pasv-ports") {
			t.Errorf("-pasv-ports %s: %v, %q; want status 2 naming the flag", bad, err, stderr)
		}
	}
}

// TestCtrlCEndsFTPSessions: on Ctrl-C a logged-in FTP session waiting for
// a command is told 421, and ftpd exits with status 0.
func TestCtrlCEndsFTPSessions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send on Windows")
	}
	d := startFtpd(t, false)
	conn, err := net.DialTimeout("tcp", d.ftpAddr, e2eTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(e2eTimeout))
	r := bufio.NewReader(conn)
	expect := func(code string) {
		t.Helper()
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, code+" ") {
			t.Fatalf("got %q, %v; want %s", line, err, code)
		}
	}
	expect("220")
	fmt.Fprintf(conn, "USER demo\r\n")
	expect("331")
	fmt.Fprintf(conn, "PASS %s\r\n", d.demoPW)
	expect("230")
	d.cmd.Process.Signal(syscall.SIGINT)
	expect("421")
	if _, err := io.ReadAll(r); err != nil {
		t.Errorf("after 421: %v, want the server to close", err)
	}
	select {
	case err := <-d.exited:
		if err != nil {
			t.Errorf("ftpd exited with %v after Ctrl-C, want status 0", err)
		}
		d.exited <- err // for the cleanup
	case <-time.After(e2eTimeout):
		t.Fatal("ftpd did not exit after Ctrl-C")
	}
}
