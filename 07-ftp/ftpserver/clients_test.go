package ftpserver_test

// Interoperability tests: the FTP clients people use, run as programs
// (curl, lftp, and Python's ftplib), in clear and over explicit TLS with a
// certificate like the one ftpd gencert writes. A missing client fails the
// test: CI installs them (.ci/run).

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/07-ftp/internal/bintest"
)

// program returns the path of a client program (see [bintest.Tool]).
func program(t *testing.T, name string) string { return bintest.Tool(t, name) }

// runProgram runs a client within the test deadline and returns its
// stdout; a non-zero exit fails the test with what it printed.
func runProgram(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	out, errOut, err := tryProgram(t, dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func tryProgram(t *testing.T, dir string, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, program(t, name), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "LC_ALL=C") // no ~/.netrc, ~/.lftprc of the machine
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func writeLocal(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readLocal(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (ts *testServer) wantGone(t *testing.T, user, p string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(ts.home(user), filepath.FromSlash(p))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s is still there (%v)", p, err)
	}
}

func modes(t *testing.T, f func(t *testing.T, withTLS bool)) {
	t.Run("clear", func(t *testing.T) { f(t, false) })
	t.Run("tls", func(t *testing.T) { f(t, true) })
}

func TestCurl(t *testing.T) {
	modes(t, func(t *testing.T, withTLS bool) {
		ts := startServer(t, withTLS)
		ts.addUser(t, "ann", "pw", 10<<20)
		dir := t.TempDir()
		data := randomBytes(t, 300_000)
		half := len(data) / 2
		full := writeLocal(t, dir, "data.bin", data)
		base := "ftp://ann:pw@" + ts.addr + "/"
		curl := func(args ...string) string {
			t.Helper()
			a := []string{"-sS", "--max-time", "20"}
			if withTLS {
				a = append(a, "--ssl-reqd", "--cacert", ts.cert)
			}
			return runProgram(t, dir, "curl", append(a, args...)...)
		}

		curl("-Q", "MKD docs", base)
		if fi, err := os.Stat(filepath.Join(ts.home("ann"), "docs")); err != nil || !fi.IsDir() {
			t.Fatalf("MKD docs: %v", err)
		}
		curl("-T", full, base+"docs/a.bin")
		if !bytes.Equal(ts.readFile(t, "ann", "docs/a.bin"), data) {
			t.Fatal("the upload differs")
		}
		// curl lists in TYPE A and turns the server's CRLF into LF.
		if got := curl(base + "docs/"); !strings.HasPrefix(got, "-rw") || !strings.Contains(got, " 300000 ") || !strings.HasSuffix(got, " a.bin\n") {
			t.Errorf("LIST = %q", got)
		}
		if got := curl("-l", base+"docs/"); got != "a.bin\n" {
			t.Errorf("NLST = %q", got)
		}
		if got := curl("-X", "MLSD", base+"docs/"); !strings.HasPrefix(got, "type=file;size=300000;modify=") || !strings.HasSuffix(got, "; a.bin\n") {
			t.Errorf("MLSD = %q", got)
		}
		// -I asks SIZE and MDTM.
		if got := curl("-I", base+"docs/a.bin"); !strings.Contains(got, "Content-Length: 300000") || !strings.Contains(got, "Last-Modified: ") {
			t.Errorf("curl -I (SIZE, MDTM) = %q", got)
		}
		curl("-o", "down.bin", base+"docs/a.bin")
		if !bytes.Equal(readLocal(t, filepath.Join(dir, "down.bin")), data) {
			t.Error("the download differs")
		}
		// A download interrupted after half the file, resumed (REST).
		writeLocal(t, dir, "partial.bin", data[:half])
		curl("-C", "-", "-o", "partial.bin", base+"docs/a.bin")
		if !bytes.Equal(readLocal(t, filepath.Join(dir, "partial.bin")), data) {
			t.Error("the resumed download differs")
		}
		// An upload interrupted after half the file, resumed (SIZE, APPE).
		curl("-T", writeLocal(t, dir, "half.bin", data[:half]), base+"docs/b.bin")
		curl("-C", "-", "-T", full, base+"docs/b.bin")
		if !bytes.Equal(ts.readFile(t, "ann", "docs/b.bin"), data) {
			t.Error("the resumed upload differs")
		}
		ts.wantResumed(t, "/docs/a.bin", "/docs/b.bin", half)
		curl("-Q", "RNFR docs/a.bin", "-Q", "RNTO docs/c.bin", base)
		ts.wantGone(t, "ann", "docs/a.bin")
		if !bytes.Equal(ts.readFile(t, "ann", "docs/c.bin"), data) {
			t.Error("the renamed file differs")
		}
		curl("-Q", "DELE docs/c.bin", "-Q", "DELE docs/b.bin", "-Q", "RMD docs", base)
		ts.wantGone(t, "ann", "docs")
		// Out of the home: curl reports the 550.
		if _, errOut, err := tryProgram(t, dir, "curl", append(tlsArgs(ts, withTLS), "-sS", "--max-time", "20", "-Q", "CWD ../..", base)...); err == nil || !strings.Contains(errOut, "550") {
			t.Errorf("curl -Q 'CWD ../..': %v, %q; want a 550", err, errOut)
		}
	})
}

func tlsArgs(ts *testServer, withTLS bool) []string {
	if withTLS {
		return []string{"--ssl-reqd", "--cacert", ts.cert}
	}
	return nil
}

func TestLftp(t *testing.T) {
	modes(t, func(t *testing.T, withTLS bool) {
		ts := startServer(t, withTLS)
		ts.addUser(t, "ann", "pw", 10<<20)
		dir := t.TempDir()
		data := randomBytes(t, 300_000)
		half := len(data) / 2
		writeLocal(t, dir, "data.bin", data)
		writeLocal(t, dir, "half.bin", data[:half])
		writeLocal(t, dir, "partial.bin", data[:half])
		settings := "set net:max-retries 1; set net:timeout 15; set net:reconnect-interval-base 1; set cmd:fail-exit yes; set ftp:use-mlsd true; "
		if withTLS {
			settings += "set ftp:ssl-force true; set ftp:ssl-protect-data true; set ftp:ssl-protect-list true; set ssl:ca-file " + ts.cert + "; "
		} else {
			settings += "set ftp:ssl-allow false; "
		}
		script := settings + "open -u ann,pw ftp://" + ts.addr + "; " +
			"mkdir docs; cd docs; put data.bin -o a.bin; " +
			"ls; nlist; cls -l; " + // LIST, NLST, MLSD
			"quote SIZE a.bin; quote MDTM a.bin; " +
			"get a.bin -o down.bin; get -c a.bin -o partial.bin; " +
			"put half.bin -o b.bin; put -c data.bin -o b.bin; " +
			"mv a.bin c.bin; " +
			"set ftp:use-allo true; put data.bin -o allo.bin; " // ALLO 300000, then STOR
		out := runProgram(t, dir, "lftp", "-c", script)
		if !bytes.Equal(ts.readFile(t, "ann", "docs/c.bin"), data) {
			t.Error("the uploaded and renamed file differs")
		}
		ts.wantGone(t, "ann", "docs/a.bin")
		if !bytes.Equal(ts.readFile(t, "ann", "docs/b.bin"), data) {
			t.Error("the upload resumed with put -c differs")
		}
		if !bytes.Equal(readLocal(t, filepath.Join(dir, "down.bin")), data) {
			t.Error("the download differs")
		}
		if !bytes.Equal(readLocal(t, filepath.Join(dir, "partial.bin")), data) {
			t.Error("the download resumed with get -c differs")
		}
		ts.wantResumed(t, "/docs/a.bin", "/docs/b.bin", half)
		ts.wantLog(t, "msg=put ", "path=/docs/allo.bin ", "bytes=300000 ", "allo=300000 ")
		for _, want := range []string{" 300000 ", "a.bin\n", "213 300000"} {
			if !strings.Contains(out, want) {
				t.Errorf("lftp's output lacks %q:\n%s", want, out)
			}
		}
		runProgram(t, dir, "lftp", "-c", settings+"open -u ann,pw ftp://"+ts.addr+"; cd docs; rm c.bin b.bin allo.bin; cd ..; rmdir docs")
		ts.wantGone(t, "ann", "docs")
		if strings.Contains(ts.logs.String(), "level=WARN") {
			t.Errorf("the server logged warnings:\n%s", ts.logs.String())
		}
	})
}

func TestPythonFtplib(t *testing.T) {
	modes(t, func(t *testing.T, withTLS bool) {
		ts := startServer(t, withTLS)
		ts.addUser(t, "ann", "pw", 10<<20)
		dir := t.TempDir()
		data := randomBytes(t, 300_000)
		writeLocal(t, dir, "data.bin", data)
		script, err := filepath.Abs("testdata/ftplib_session.py")
		if err != nil {
			t.Fatal(err)
		}
		ca := "-"
		if withTLS {
			ca = ts.cert
		}
		start := time.Now()
		out := runProgram(t, dir, "python3", script, ts.host, ts.port, "ann", "pw", ca, dir)
		if !strings.HasSuffix(out, "done\n") {
			t.Errorf("ftplib session:\n%s", out)
		}
		if !bytes.Equal(ts.readFile(t, "ann", "py/kept.bin"), data) {
			t.Error("the file uploaded with REST + STOR differs")
		}
		ts.wantResumed(t, "/py/a.bin", "/py/kept.bin", len(data)/2)
		t.Logf("ftplib session took %s", time.Since(start).Round(time.Millisecond))
	})
}
