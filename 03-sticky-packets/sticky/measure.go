package sticky

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Burst describes a burst of small writes whose segments MeasureBurst counts.
type Burst struct {
	Writes    int  // number of writes: "helloworld", then "SB" for each further write
	Nagle     bool // SetNoDelay(false) on the writer
	DelayACKs bool // TCP_QUICKACK=0 on the reader, so its ACKs come late
}

// String describes the burst in one table cell.
func (b Burst) String() string {
	acks := "prompt ACKs"
	if b.DelayACKs {
		acks = "delayed ACKs"
	}
	nagle := "Nagle off"
	if b.Nagle {
		nagle = "Nagle on "
	}
	return fmt.Sprintf("%4d writes, %s, %s", b.Writes, nagle, acks)
}

// MeasureBurst makes b.Writes back-to-back writes over a fresh loopback TCP
// connection to a reader that reads as fast as it can, and returns how many data
// segments the writer sent (Linux TCP_INFO). It returns an error wrapping
// errors.ErrUnsupported on other systems.
func MeasureBurst(ctx context.Context, b Burst) (int, error) {
	if !segmentsSupported {
		return 0, errNoSegments
	}
	if b.Writes < 1 {
		return 0, fmt.Errorf("burst of %d writes: need at least 1", b.Writes)
	}
	ctx, cancel := bounded(ctx)
	defer cancel()
	w, r, err := tcpPair(ctx)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	defer r.Close()
	if b.Nagle {
		if err := w.SetNoDelay(false); err != nil {
			return 0, err
		}
	}
	if b.DelayACKs {
		if err := DelayACKs(r); err != nil {
			return 0, err
		}
	}
	base, err := SegmentsSent(w)
	if err != nil {
		return 0, err
	}
	want := len("helloworld") + 2*(b.Writes-1)
	var got int64
	err = both(func() error {
		for i := range b.Writes {
			p := []byte("SB")
			if i == 0 {
				p = []byte("helloworld")
			}
			if _, err := w.Write(p); err != nil {
				return fmt.Errorf("write #%d: %w", i+1, err)
			}
		}
		return w.CloseWrite()
	}, func() error {
		var err error
		got, err = io.Copy(io.Discard, r)
		return err
	})
	if err != nil {
		return 0, err
	}
	if got != int64(want) {
		return 0, fmt.Errorf("reader got %d bytes, want %d", got, want)
	}
	n, err := SegmentsSent(w)
	return n - base, err
}

// Stats summarises repeated measurements.
type Stats struct {
	Median, Min, Max int
	Runs             int
}

// String formats the statistics as the median, then the range.
func (s Stats) String() string {
	return fmt.Sprintf("median %d (min %d, max %d, %d runs)", s.Median, s.Min, s.Max, s.Runs)
}

// MeasureBursts runs MeasureBurst runs times for each burst and returns the
// statistics in the same order.
func MeasureBursts(ctx context.Context, bursts []Burst, runs int) ([]Stats, error) {
	if runs < 1 {
		return nil, errors.New("runs must be at least 1")
	}
	out := make([]Stats, 0, len(bursts))
	for _, b := range bursts {
		xs := make([]int, 0, runs)
		for range runs {
			n, err := MeasureBurst(ctx, b)
			if err != nil {
				return nil, fmt.Errorf("%v: %w", b, err)
			}
			xs = append(xs, n)
		}
		slices.Sort(xs)
		out = append(out, Stats{Median: xs[len(xs)/2], Min: xs[0], Max: xs[len(xs)-1], Runs: runs})
	}
	return out, nil
}

// FormatBursts writes one table row per burst and its statistics.
func FormatBursts(w io.Writer, bursts []Burst, stats []Stats) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s  %s\n", "burst", "data segments sent (tcpi_data_segs_out)")
	for i, bu := range bursts {
		fmt.Fprintf(&b, "%-40s  %v\n", bu, stats[i])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
