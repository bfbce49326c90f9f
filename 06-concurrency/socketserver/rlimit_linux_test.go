package socketserver

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// ensureFileLimit raises this process's RLIMIT_NOFILE to at least n (the
// hard limit too, which needs root), or skips the test saying why.
func ensureFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim), "getrlimit")
	if lim.Cur >= n {
		return
	}
	want := lim
	want.Cur = n
	if want.Max < n {
		want.Max = n
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		t.Skipf("need %d file descriptors, have %d (hard %d) and cannot raise: %v; run `ulimit -n %d` first", n, lim.Cur, lim.Max, err, n)
	}
}
