package wire

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

// The addresses of the veth lab: the writer's and the reader's end of the pair.
// They are loopback-range addresses, which Linux routes over an ordinary
// interface only where route_localnet is on; the lab turns it on inside its own
// two namespaces, which have no other interface, so no packet can leave them.
const (
	VethWriter = "127.3.0.1"
	VethReader = "127.3.0.2"
)

// Lab is a set of network namespaces made for one demonstration, so that its
// packets are the only ones on the captured interface. A loopback lab is one
// namespace with its own loopback interface (MTU 65536, like the machine's); a
// veth lab is two namespaces, the writer's and the reader's, joined by a veth
// pair with an MTU of 1500, like an Ethernet link.
type Lab struct {
	names  []string // namespaces: the writer's, then the reader's if different
	Iface  string   // the interface captured, in the writer's namespace
	Veth   bool
	reader string // address the reader listens on
}

// CanCapture reports why this process cannot build a lab and capture packets:
// both need root (CAP_SYS_ADMIN and CAP_NET_RAW) and the ip command.
func CanCapture() error {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return err
			}
			if caps&(1<<unix.CAP_NET_RAW) == 0 || caps&(1<<unix.CAP_SYS_ADMIN) == 0 {
				return errors.New("capturing packets needs root (CAP_NET_RAW and CAP_SYS_ADMIN); run it with sudo")
			}
			if _, err := exec.LookPath("ip"); err != nil {
				return errors.New("capturing packets needs the ip command (Debian: apt-get install iproute2)")
			}
			return nil
		}
	}
	return errors.New("cannot read this process's capabilities")
}

// NewLab makes the namespaces of a lab: a loopback lab, or with veth a veth lab.
// Close removes them.
func NewLab(ctx context.Context, veth bool) (*Lab, error) {
	id := strconv.Itoa(os.Getpid())
	l := &Lab{Veth: veth}
	run := func(args ...string) error {
		out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if !veth {
		l.names = []string{"sticky-" + id}
		l.Iface, l.reader = "lo", "127.0.0.1"
		err := errors.Join(run("netns", "add", l.names[0]), run("-n", l.names[0], "link", "set", "lo", "up"))
		if err != nil {
			l.Close()
			return nil, err
		}
		return l, nil
	}
	w, r := "sticky-"+id+"-w", "sticky-"+id+"-r"
	l.names = []string{w, r}
	l.Iface, l.reader = "stw"+id, VethReader
	rif := "str" + id
	mtu := strconv.Itoa(VethMTU)
	steps := [][]string{
		{"netns", "add", w},
		{"netns", "add", r},
		{"link", "add", l.Iface, "netns", w, "mtu", mtu, "type", "veth", "peer", "name", rif, "netns", r, "mtu", mtu},
		// One segment per packet, as on a wire: without this the kernel hands the
		// veth (and a capture) packets of up to 64 KiB and cuts them up later.
		{"-n", w, "link", "set", l.Iface, "gso_max_segs", "1", "up"},
		{"-n", r, "link", "set", rif, "gso_max_segs", "1", "up"},
		{"-n", w, "addr", "add", VethWriter + "/24", "dev", l.Iface},
		{"-n", r, "addr", "add", VethReader + "/24", "dev", rif},
		{"netns", "exec", w, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1", "net.ipv4.conf." + l.Iface + ".route_localnet=1"},
		{"netns", "exec", r, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1", "net.ipv4.conf." + rif + ".route_localnet=1"},
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// Close removes the lab's namespaces, and with them its interfaces.
func (l *Lab) Close() error {
	var errs []error
	for _, n := range l.names {
		if out, err := exec.Command("ip", "netns", "del", n).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
			errs = append(errs, fmt.Errorf("ip netns del %s: %v: %s", n, err, out))
		}
	}
	return errors.Join(errs...)
}

// InWriter calls f with the calling goroutine in the writer's namespace, so
// that the sockets f creates belong to it.
func (l *Lab) InWriter(f func() error) error { return inNetns(l.names[0], f) }

// InReader calls f in the reader's namespace.
func (l *Lab) InReader(f func() error) error { return inNetns(l.names[len(l.names)-1], f) }

// Net returns where a demonstration in the lab creates its sockets.
func (l *Lab) Net() sticky.Net {
	return sticky.Net{ReaderHost: l.reader, Reader: l.InReader, Writer: l.InWriter}
}

// inNetns runs f on a thread switched into the named network namespace. The
// thread is locked to a goroutine of its own; if it cannot switch back, that
// goroutine ends still locked, and the runtime ends the thread with it.
func inNetns(name string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		ns, err := os.Open("/run/netns/" + name)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter network namespace %s: %w", name, err)
			return
		}
		ferr := f()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("leave network namespace %s: %w", name, err))
			return // still locked: the thread ends with this goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
