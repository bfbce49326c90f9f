package wire

import (
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Packet is one captured frame, as it passed the interface.
type Packet struct {
	Time time.Time
	Data []byte // the whole frame, Ethernet header first
}

// Segment is a packet of one run's conversation: a TCP segment or a UDP datagram.
type Segment struct {
	Index      int  // position of the packet in the capture, from 0
	FromWriter bool // sent by the writer (else by the reader)
	Time       time.Time
	UDP        bool
	// Seq is the stream offset of the first payload byte, counted from 0 in the
	// sender's direction (the SYN takes sequence number -1); Ack is the offset
	// the sender acknowledges in the other direction. Zero for UDP.
	Seq, Ack int64
	Flags    string // "SYN", "SYN ACK", "ACK", "PSH ACK", "FIN ACK", …
	Payload  []byte
}

// Conversation returns, in capture order, the packets exchanged between the
// sockets bound to writer and reader.
func Conversation(pkts []Packet, writer, reader net.Addr) []Segment {
	w, r := addrPort(writer), addrPort(reader)
	var out []Segment
	var isn [2]uint32 // initial sequence numbers: writer, reader
	var haveISN [2]bool
	for i, p := range pkts {
		pkt := gopacket.NewPacket(p.Data, layers.LayerTypeEthernet, gopacket.Lazy)
		ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if !ok {
			continue
		}
		src, _ := netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ := netip.AddrFromSlice(ip.DstIP.To4())
		s := Segment{Index: i, Time: p.Time}
		var sport, dport uint16
		switch l := pkt.TransportLayer().(type) {
		case *layers.TCP:
			sport, dport = uint16(l.SrcPort), uint16(l.DstPort)
			s.Flags = flags(l)
			s.Payload = l.Payload
			from := 0
			if netip.AddrPortFrom(src, sport) == r {
				from = 1
			}
			if l.SYN {
				isn[from], haveISN[from] = l.Seq, true
			}
			if haveISN[from] {
				s.Seq = int64(l.Seq - isn[from] - 1)
			}
			if l.ACK && haveISN[1-from] {
				s.Ack = int64(l.Ack - isn[1-from] - 1)
			}
		case *layers.UDP:
			sport, dport = uint16(l.SrcPort), uint16(l.DstPort)
			s.UDP = true
			s.Payload = l.Payload
		default:
			continue
		}
		a, b := netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport)
		switch {
		case a == w && b == r:
			s.FromWriter = true
		case a == r && b == w:
		default:
			continue
		}
		out = append(out, s)
	}
	return out
}

func addrPort(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func flags(t *layers.TCP) string {
	var f []string
	for _, x := range []struct {
		on   bool
		name string
	}{{t.SYN, "SYN"}, {t.FIN, "FIN"}, {t.RST, "RST"}, {t.PSH, "PSH"}, {t.ACK, "ACK"}} {
		if x.on {
			f = append(f, x.name)
		}
	}
	return strings.Join(f, " ")
}

// Data returns the segments that carry payload from the writer: the data of
// the run.
func Data(conv []Segment) []Segment {
	var out []Segment
	for _, s := range conv {
		if s.FromWriter && len(s.Payload) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Stream reassembles the writer's byte stream from its data segments by
// sequence number, so a retransmission counts once. ok is false if a byte is
// missing or two segments disagree about one.
func Stream(data []Segment) (stream []byte, ok bool) {
	var have []bool
	for _, s := range data {
		if s.UDP {
			stream = append(stream, s.Payload...)
			continue
		}
		end := int(s.Seq) + len(s.Payload)
		for len(stream) < end {
			stream = append(stream, 0)
			have = append(have, false)
		}
		for i, b := range s.Payload {
			j := int(s.Seq) + i
			if have[j] && stream[j] != b {
				return nil, false
			}
			stream[j], have[j] = b, true
		}
	}
	for _, h := range have {
		if !h {
			return nil, false
		}
	}
	return stream, true
}
