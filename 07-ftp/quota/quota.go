// Package quota keeps each user's disk usage against a limit.
//
// A [Usage] is one user's counter. All sessions of that user share one Usage,
// so uploads running side by side cannot jointly exceed the
// limit: each upload reserves its bytes with [Usage.Reserve] before any data
// flows, and a [LimitWriter] refuses to write past what was reserved, so a
// client that sends more than it announced is stopped at the limit.
package quota

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// ErrExceeded is wrapped by every error that reports a full quota.
var ErrExceeded = errors.New("quota exceeded")

// Usage is one user's usage of something against a limit: bytes, or
// files. It is safe for concurrent use.
type Usage struct {
	mu    sync.Mutex
	used  int64
	limit int64
	files bool // counts files, not bytes
}

// NewUsage returns a counter with used bytes of a limit.
func NewUsage(used, limit int64) *Usage { return &Usage{used: used, limit: limit} }

// NewFiles returns a counter of files (files, directories and part files:
// each an inode on the server's disk) with used of a limit.
func NewFiles(used, limit int64) *Usage { return &Usage{used: used, limit: limit, files: true} }

// Reserve adds n to the usage if it fits under the limit, and otherwise
// returns an error wrapping ErrExceeded that gives the numbers.
func (u *Usage) Reserve(n int64) error {
	if n < 0 {
		return fmt.Errorf("quota: negative reservation %d", n)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if n <= u.limit-u.used {
		u.used += n
		return nil
	}
	if u.files {
		return fmt.Errorf("%w: too many files: %d of %d files, directories and part files used", ErrExceeded, u.used, u.limit)
	}
	return fmt.Errorf("%w: need %s, %s of %s used, %s free",
		ErrExceeded, FormatSize(n), FormatSize(u.used), FormatSize(u.limit), FormatSize(max(u.limit-u.used, 0)))
}

// Release gives n bytes back, for a file removed or a reservation unused.
func (u *Usage) Release(n int64) {
	u.mu.Lock()
	u.used -= n
	u.mu.Unlock()
}

// Get returns the bytes used (reservations included) and the limit.
func (u *Usage) Get() (used, limit int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.used, u.limit
}

// SetLimit changes the limit. Usage already above a lowered limit stays;
// only new reservations are refused.
func (u *Usage) SetLimit(limit int64) {
	u.mu.Lock()
	u.limit = limit
	u.mu.Unlock()
}

// LimitWriter returns a writer to w that accepts at most n bytes in total.
// A write that would go past n writes nothing and returns an error wrapping
// ErrExceeded.
func LimitWriter(w io.Writer, n int64) io.Writer { return &limitWriter{w: w, left: n, n: n} }

type limitWriter struct {
	w    io.Writer
	left int64
	n    int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, fmt.Errorf("%w: the client sent more than the %d bytes it reserved", ErrExceeded, l.n)
	}
	n, err := l.w.Write(p)
	l.left -= int64(n)
	return n, err
}

var units = []struct {
	name string
	size int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// ParseSize parses a size such as "512", "512B", "50KiB", "50MiB" or "1GiB".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.name) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.name)), u.size
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q: want a number with an optional unit B, KiB, MiB or GiB", s)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q: too large", s)
	}
	return n * mult, nil
}

// FormatSize writes n bytes in the largest unit that divides it exactly
// (so FormatSize(ParseSize(s)) round-trips), and in bytes otherwise with
// an approximate figure in parentheses.
func FormatSize(n int64) string {
	if n == 0 {
		return "0 B"
	}
	for _, u := range units {
		if n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d B", n)
}
