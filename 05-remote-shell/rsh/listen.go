package rsh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// ErrNotLoopback is returned by [Listen] for an address other than loopback
// when remote access was not allowed.
var ErrNotLoopback = errors.New("address is not loopback")

// Listen listens for TCP on addr. Unless allowRemote is set, it refuses,
// before binding anything, every address that is not loopback: an empty host
// (all interfaces), 0.0.0.0, ::, a LAN address, or a name that resolves to
// any of those.
func Listen(ctx context.Context, addr string, allowRemote bool) (net.Listener, error) {
	if !allowRemote {
		ok, err := isLoopbackHost(ctx, addr)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("listen %s: %w (this server runs shell commands for anyone who connects; pass -allow-remote to expose it)", addr, ErrNotLoopback)
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if !allowRemote && !IsLoopback(ln.Addr()) {
		ln.Close()
		return nil, fmt.Errorf("listen %s: bound %s: %w", addr, ln.Addr(), ErrNotLoopback)
	}
	return ln, nil
}

// isLoopbackHost reports whether every address the host of addr names is a
// loopback address.
func isLoopbackHost(ctx context.Context, addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "" {
		return false, nil // all interfaces
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback(), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return false, err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false, nil
		}
	}
	return len(ips) > 0, nil
}

// IsLoopback reports whether a is a TCP address on a loopback interface.
func IsLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// RemoteWarning is the warning a server prints when it listens on addr, an
// address other than loopback, while running commands as user.
func RemoteWarning(addr net.Addr, user string) string {
	where := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		where += " (every network interface)"
	}
	return fmt.Sprintf("WARNING: listening on %s, which is not loopback: anyone who can reach it over the network "+
		"can run any shell command on this machine as user %q, with no password and no encryption "+
		"(each command is limited only by the time limit and the output cap)", where, user)
}
