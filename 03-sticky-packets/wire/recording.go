package wire

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

// Recording is a demonstration's runs and the packets captured meanwhile.
type Recording struct {
	Case      sticky.Case
	Timelines []*sticky.Timeline
	Packets   []Packet
	Iface     string // the interface captured
	Veth      bool   // across a veth pair (MTU 1500) rather than loopback
}

// Conversation returns the packets of run i.
func (r *Recording) Conversation(i int) []Segment {
	tl := r.Timelines[i]
	return Conversation(r.Packets, tl.Writer, tl.Reader)
}

// Pictures draws every run of the recording.
func (r *Recording) Pictures() []Picture {
	out := make([]Picture, len(r.Timelines))
	for i, tl := range r.Timelines {
		out[i] = Draw(tl, r.Conversation(i))
	}
	return out
}

// Title names the recording in its picture.
func (r *Recording) Title() string {
	where := "loopback (MTU 65536)"
	if r.Veth {
		where = fmt.Sprintf("a veth pair (MTU %d)", VethMTU)
	}
	return fmt.Sprintf("demo %s (%s), over %s\n%s", r.Case.Name, r.Case.Claim, where, r.Case.About)
}

// comments says, for each data packet, which writes it carries and which reads
// took its bytes; Wireshark shows them as packet comments.
func (r *Recording) comments() map[int][]string {
	out := map[int][]string{}
	for i, tl := range r.Timelines {
		var ws, rs []span
		for _, k := range []sticky.Kind{sticky.Write, sticky.Read} {
			var off int64
			for _, e := range tl.Events() {
				if e.Kind == k {
					sp := span{off, off + int64(len(e.Data))}
					off = sp.to
					if k == sticky.Write {
						ws = append(ws, sp)
					} else {
						rs = append(rs, sp)
					}
				}
			}
		}
		n := 0
		for _, s := range Data(r.Conversation(i)) {
			sp := span{s.Seq, s.Seq + int64(len(s.Payload))}
			if s.UDP {
				sp = span{int64(n), int64(n + 1)}
				ws, rs = unitSpans(len(ws)), unitSpans(len(rs))
				n++
			}
			var c []string
			if w := overlapping(ws, sp); w != "" {
				c = append(c, "write "+w)
			}
			if rd := overlapping(rs, sp); rd != "" {
				c = append(c, "read by read "+rd)
			}
			out[s.Index] = []string{tl.Title + ": " + strings.Join(c, "; ")}
		}
	}
	return out
}

func unitSpans(n int) []span {
	out := make([]span, n)
	for i := range out {
		out[i] = span{int64(i), int64(i + 1)}
	}
	return out
}

func overlapping(spans []span, sp span) string {
	var out []string
	for i, x := range spans {
		if x.overlaps(sp) {
			out = append(out, fmt.Sprintf("#%d", i+1))
		}
	}
	return strings.Join(out, ", ")
}

// WriteFiles writes the capture to dir/NAME.pcapng and the picture to
// dir/NAME.svg, where NAME is the case's name, and returns their paths.
func (r *Recording) WriteFiles(dir string) (pcapng, svg string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	var pb, sb bytes.Buffer
	if err := WritePcapng(&pb, r.Iface, r.Packets, r.comments()); err != nil {
		return "", "", err
	}
	if err := WriteSVG(&sb, r.Title(), r.Pictures()); err != nil {
		return "", "", err
	}
	pcapng = filepath.Join(dir, r.Case.Name+".pcapng")
	svg = filepath.Join(dir, r.Case.Name+".svg")
	if err := writeFile(pcapng, pb.Bytes()); err != nil {
		return "", "", err
	}
	return pcapng, svg, writeFile(svg, sb.Bytes())
}

// writeFile writes data to a temporary file beside path and renames it, so a
// reader never sees half a file under the final name.
func writeFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = os.Chmod(f.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}
