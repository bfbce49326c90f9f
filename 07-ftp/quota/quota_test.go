package quota

import (
	"bytes"
	"errors"
	"sync"
	"testing"
)

func TestReserveExactLimitAndOneOver(t *testing.T) {
	u := NewUsage(10, 100)
	if err := u.Reserve(90); err != nil {
		t.Fatalf("Reserve(90) with 90 free = %v, want nil", err)
	}
	if err := u.Reserve(1); !errors.Is(err, ErrExceeded) {
		t.Fatalf("Reserve(1) when full = %v, want ErrExceeded", err)
	}
	u.Release(1)
	if err := u.Reserve(2); !errors.Is(err, ErrExceeded) {
		t.Fatalf("Reserve(2) with 1 free = %v, want ErrExceeded", err)
	}
	if used, limit := u.Get(); used != 99 || limit != 100 {
		t.Fatalf("Get() = %d, %d; want 99, 100", used, limit)
	}
}

func TestReserveRaceNeverExceedsLimit(t *testing.T) {
	u := NewUsage(0, 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 50 {
		wg.Go(func() {
			if u.Reserve(100) == nil {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if granted != 10 {
		t.Errorf("granted %d reservations of 100 under a limit of 1000, want 10", granted)
	}
}

func TestLimitWriterStopsAtLimit(t *testing.T) {
	var buf bytes.Buffer
	w := LimitWriter(&buf, 5)
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("def")); !errors.Is(err, ErrExceeded) {
		t.Fatalf("Write past the limit = %v, want ErrExceeded", err)
	}
	if buf.String() != "abc" {
		t.Errorf("written %q, want %q", buf.String(), "abc")
	}
}

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{{"0", 0}, {"512", 512}, {"512B", 512}, {"3KiB", 3 << 10}, {"50MiB", 50 << 20}, {"1 GiB", 1 << 30}} {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
		}
		if back, err := ParseSize(FormatSize(tt.want)); err != nil || back != tt.want {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", tt.want, back, err)
		}
	}
	for _, in := range []string{"", "-1", "1MB", "x", "1.5MiB", "99999999999GiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = nil error, want an error", in)
		}
	}
}
