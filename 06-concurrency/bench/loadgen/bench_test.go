package main

import (
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := medianDur([]time.Duration{time.Second, 3 * time.Second, 2 * time.Second}); got != 2*time.Second {
		t.Errorf("medianDur(1s, 3s, 2s) = %v, want 2s", got)
	}
}

func TestFieldOfProcFile(t *testing.T) {
	status := []byte("Name:\tserver\nVmRSS:\t   12345 kB\nThreads:\t7\n")
	if got, err := field(status, "VmRSS:"); err != nil || got != 12345 {
		t.Errorf("field(VmRSS:) = %d, %v; want 12345, nil", got, err)
	}
	if got, err := field(status, "Pss:"); err == nil {
		t.Errorf("field(Pss:) on a file without it = %d, nil; want an error", got)
	}
}
