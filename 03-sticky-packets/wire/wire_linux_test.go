package wire

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

// record runs the named case with a capture, or skips the test where capturing
// is not possible (it fails instead under CI=true, where the tests run as root).
func record(t *testing.T, name string, veth bool) *Recording {
	t.Helper()
	if err := CanCapture(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root and must capture:", err)
		}
		t.Skip(err)
	}
	c, ok := sticky.Lookup(name)
	require.True(t, ok, "case %q", name)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	rec, err := Record(ctx, c, sticky.Options{Gap: time.Millisecond}, veth)
	require.NoError(t, err)
	return rec
}

var cases = []struct {
	name string
	veth bool
}{
	{"receiver", false}, {"partial", false}, {"sender", false}, {"sleep", false},
	{"udp", false}, {"lengths", false}, {"big", false}, {"big", true}, {"sender", true},
}

func caseName(name string, veth bool) string {
	if veth {
		return name + "/veth"
	}
	return name + "/loopback"
}

// The capture of each run holds exactly the bytes the writer wrote, in order,
// in as many data segments as the writer's TCP_INFO says it sent.
func TestCaptureHoldsThePayloadInTheSegmentsTCPINFOCounts(t *testing.T) {
	for _, tc := range cases {
		t.Run(caseName(tc.name, tc.veth), func(t *testing.T) {
			rec := record(t, tc.name, tc.veth)
			for i, tl := range rec.Timelines {
				data := Data(rec.Conversation(i))
				stream, ok := Stream(data)
				require.True(t, ok, "%s: the captured segments leave a gap or disagree", tl.Title)
				assert.Equal(t, strings.Join(tl.Writes(), ""), string(stream), "%s: captured payload", tl.Title)
				if tc.name == "udp" {
					assert.Len(t, data, len(tl.Writes()), "%s: one datagram per write", tl.Title)
					continue
				}
				require.GreaterOrEqual(t, tl.DataSegments, 0, "%s: TCP_INFO count missing", tl.Title)
				assert.Equal(t, tl.DataSegments, len(data), "%s: data segments captured, against tcpi_data_segs_out", tl.Title)
			}
		})
	}
}

// Over the veth pair (MTU 1500) the large write leaves in segments of at most
// one MSS: 1500 - 20 (IP) - 20 (TCP) = 1460 bytes, less 12 for TCP timestamps.
func TestVethSegmentsNeverExceedTheMSS(t *testing.T) {
	rec := record(t, "big", true)
	data := Data(rec.Conversation(0))
	require.NotEmpty(t, data)
	const mss = VethMTU - 20 - 20
	largest := 0
	for _, s := range data {
		largest = max(largest, len(s.Payload))
	}
	assert.LessOrEqual(t, largest, mss, "largest segment")
	assert.GreaterOrEqual(t, len(data), sticky.BigSize/mss+1, "segments for %d bytes", sticky.BigSize)
}

// svgText returns the text of every <text> element of an SVG, failing the test
// if the SVG is not well-formed XML.
func svgText(t *testing.T, svg []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	inText := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return texts
		}
		require.NoError(t, err, "SVG is not well-formed")
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		case xml.EndElement:
			inText = false
		}
	}
}

// The picture is well-formed SVG and names every write and every read, one by
// one or in the row that stands for the middle of a long column.
func TestSVGNamesEveryWriteAndRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		veth bool
	}{{"partial", false}, {"sender", false}, {"big", true}} {
		t.Run(caseName(tc.name, tc.veth), func(t *testing.T) {
			rec := record(t, tc.name, tc.veth)
			var svg bytes.Buffer
			require.NoError(t, WriteSVG(&svg, rec.Title(), rec.Pictures()))
			all := strings.Join(svgText(t, svg.Bytes()), "\n")
			// Each run is drawn under its title; check each run's part.
			for i, tl := range rec.Timelines {
				part := all[strings.Index(all, tl.Title):]
				if i+1 < len(rec.Timelines) {
					part = part[:strings.Index(part, rec.Timelines[i+1].Title)]
				}
				for _, kind := range []string{"write", "read"} {
					n := len(tl.Writes())
					if kind == "read" {
						n = len(tl.Reads())
					}
					for k := 1; k <= n; k++ {
						if !named(part, kind, k) {
							t.Errorf("%s: the picture does not name %s #%d", tl.Title, kind, k)
						}
					}
				}
			}
		})
	}
}

// named reports whether text names kind #k, alone or in a row "… N more kinds …
// (#a to #b)".
func named(text, kind string, k int) bool {
	if strings.Contains(text, fmt.Sprintf("%s #%d:", kind, k)) {
		return true
	}
	re := regexp.MustCompile(`more ` + kind + `s …\n\(#(\d+) to #(\d+)\)`)
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		var a, b int
		fmt.Sscan(m[1], &a)
		fmt.Sscan(m[2], &b)
		if a <= k && k <= b {
			return true
		}
	}
	return false
}

// timing matches what may change from run to run: the times, in elements of
// class "t".
var timing = regexp.MustCompile(`<text [^>]*class="t">[^<]*</text>`)

// The picture of a case is the same on every run, apart from its times
// (sequence numbers are drawn relative to the start of each connection).
func TestPictureIsTheSameOnEveryRun(t *testing.T) {
	for _, name := range []string{"receiver", "sender", "udp"} {
		t.Run(name, func(t *testing.T) {
			var pics [2]string
			for i := range pics {
				rec := record(t, name, false)
				var svg bytes.Buffer
				require.NoError(t, WriteSVG(&svg, rec.Title(), rec.Pictures()))
				pics[i] = timing.ReplaceAllString(svg.String(), `<text class="t">TIME</text>`)
			}
			if diff := cmp.Diff(pics[0], pics[1]); diff != "" {
				t.Errorf("two runs of %s drew different pictures (-first +second):\n%s", name, diff)
			}
		})
	}
}

// The pcapng file reads back packet for packet, and tcpdump reads it too.
func TestPcapngOpensInTcpdump(t *testing.T) {
	rec := record(t, "receiver", false)
	var buf bytes.Buffer
	require.NoError(t, WritePcapng(&buf, rec.Iface, rec.Packets, rec.comments()))
	r, err := pcapgo.NewNgReader(bytes.NewReader(buf.Bytes()), pcapgo.DefaultNgReaderOptions)
	require.NoError(t, err)
	n := 0
	for {
		_, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, len(rec.Packets), n, "packets read back")

	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tcpdump is missing; CI must install it:", err)
		}
		t.Skip("tcpdump not found:", err)
	}
	file := t.TempDir() + "/receiver.pcapng"
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tcpdump, "-nn", "-r", file).Output()
	require.NoError(t, err, "tcpdump -r")
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	assert.Len(t, lines, len(rec.Packets), "tcpdump lines:\n%s", out)
	assert.Contains(t, string(out), "length 10", "the helloworld segment")
	assert.Contains(t, string(out), "length 2", "the SB segment")
}
