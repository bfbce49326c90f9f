package rsh_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/05-remote-shell/rsh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestClaimR1_RunsCommandAndReturnsStdoutAndStderr(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	c := rsh.NewClient(dial(t, addr))

	got := run(t, c, "echo out; echo err >&2; exit 3")
	want := result{
		rep:    rsh.Reply{ExitCode: 3, Status: "exit status 3", StdoutSize: 4, StderrSize: 4},
		stdout: "out\n",
		stderr: "err\n",
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("reply to %q (-want +got):\n%s", "echo out; echo err >&2; exit 3", diff)
	}
}

// TestClaimR1_HeaderOnTheWire reads the reply the notes' way, looking only at
// data_size: the body is stdout then stderr, data_size bytes in all.
func TestClaimR1_HeaderOnTheWire(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	conn := dial(t, addr)
	// The notes' client sends the raw command bytes with one send.
	_, err := conn.Write([]byte("echo out; echo err >&2; exit 3"))
	require.NoError(t, err)

	h, err := frame.ReadHeader(conn)
	require.NoError(t, err)
	assert.Equal(t, int64(8), h.DataSize, "data_size")
	wantHeader := `{"data_size":8,"exit_code":3,"status":"exit status 3","stderr_size":4,"stdout_size":4}`
	assert.Equal(t, wantHeader, string(h.Raw), "header")
	assert.Equal(t, "out\nerr\n", readN(t, conn, int(h.DataSize)), "body")
}

// r2Commands is the sequence that shows R2: a reply longer than one read of
// 1024 bytes, then a short one.
var r2Commands = []string{"seq 1 1000", "echo second"}

func TestClaimR2_UnframedReplySpillsIntoTheNext(t *testing.T) {
	addr := startServer(t, &rsh.Server{Unframed: true})
	c := rsh.NewClient(dial(t, addr))
	full := seqOutput(1000) // 3893 bytes
	require.Greater(t, len(full), rsh.RawCommandSize)

	first, err := c.RunUnframed(r2Commands[0], ioTimeout)
	require.NoError(t, err)
	second, err := c.RunUnframed(r2Commands[1], ioTimeout)
	require.NoError(t, err)

	if len(first) > rsh.RawCommandSize || !strings.HasPrefix(full, string(first)) {
		t.Fatalf("reply to %q = %d bytes %.40q..., want at most 1024 bytes from the start of seq's output",
			r2Commands[0], len(first), first)
	}
	if string(second) == "second\n" {
		t.Fatalf("reply to %q = %q: no spill; want the rest of seq's output", r2Commands[1], second)
	}
	// The second "reply" is seq's output, continued where the first stopped.
	rest := full[len(first):]
	if !strings.HasPrefix(rest, string(second)) {
		t.Errorf("reply to %q = %.60q, want a continuation of seq's output %.60q", r2Commands[1], second, rest)
	}
}

func TestClaimR2_FramedRepliesKeepTheirBoundaries(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	c := rsh.NewClient(dial(t, addr))

	assert.Equal(t, seqOutput(1000), run(t, c, r2Commands[0]).stdout, "reply to %q", r2Commands[0])
	assert.Equal(t, "second\n", run(t, c, r2Commands[1]).stdout, "reply to %q", r2Commands[1])
}

func TestClaimR3_SemicolonsRunSeveralCommandsInOneShell(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	c := rsh.NewClient(dial(t, addr))

	// One shell: the variable set by the first command is seen by the third.
	got := run(t, c, "x=shared; echo one; echo $x")
	assert.Equal(t, "one\nshared\n", got.stdout)
	assert.Equal(t, 0, got.rep.ExitCode)
	// The exit code is the last command's.
	assert.Equal(t, 0, run(t, c, "false; true").rep.ExitCode, "exit code of %q", "false; true")
	assert.Equal(t, 1, run(t, c, "true; false").rep.ExitCode, "exit code of %q", "true; false")
}

func TestClaimR4_DecodeTheShellsEncoding(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	c := rsh.NewClient(dial(t, addr))

	// On Linux the shell writes whatever bytes the program writes; text is
	// UTF-8 in practice. 中文 in UTF-8 is e4 b8 ad e6 96 87.
	utf := run(t, c, `printf '\344\270\255\346\226\207\n'`)
	assert.Equal(t, "中文\n", utf.stdout, "UTF-8 reply")

	// A Chinese Windows console writes GBK (code page 936): 中文 is d6 d0 ce c4.
	// Those bytes are not UTF-8; decoding them as GBK gives the text back.
	gbk := run(t, c, `printf '\326\320\316\304\n'`)
	if utf8.ValidString(gbk.stdout) {
		t.Errorf("GBK reply %q is valid UTF-8; want bytes that only GBK decodes", gbk.stdout)
	}
	decoded, err := simplifiedchinese.GBK.NewDecoder().String(gbk.stdout)
	require.NoError(t, err)
	assert.Equal(t, "中文\n", decoded, "GBK-decoded reply")
	// Decoding the GBK bytes as UTF-8, as the notes' Linux client does,
	// gives replacement characters.
	if got := strings.ToValidUTF8(gbk.stdout, "\uFFFD"); strings.Contains(got, "中") {
		t.Errorf("GBK bytes read as UTF-8 = %q, want no 中", got)
	}
}
