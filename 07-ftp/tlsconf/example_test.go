package tlsconf_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
)

// Example makes a certificate, serves TLS on a loopback port, and shows
// what each kind of client gets: a TLS client that trusts the certificate
// completes a TLS 1.3 handshake, and a plaintext client gets one clear
// line instead of a hang.
func Example() {
	dir, _ := os.MkdirTemp("", "tlsconf")
	defer os.RemoveAll(dir)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := tlsconf.WriteFiles(cert, key, []string{"127.0.0.1"}); err != nil {
		fmt.Println(err)
		return
	}
	srvCfg, _ := tlsconf.ServerConfig(cert, key)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { // each connection in its own goroutine
				// A plaintext client is told so in the server's protocol.
				if tc, err := tlsconf.Accept(c, srvCfg, 5*time.Second, proto.RefuseTLS); err == nil {
					tc.Write([]byte("hello"))
					tc.Close()
				}
			}()
		}
	}()

	// A TLS client that trusts the certificate.
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	cliCfg, _ := tlsconf.ClientConfig(cert, "127.0.0.1")
	tc, err := tlsconf.Client(context.Background(), conn, cliCfg, 5*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, 5)
	tc.Read(buf)
	fmt.Printf("TLS 1.3: %v, got %q\n", tc.ConnectionState().Version == tls.VersionTLS13, buf)
	tc.Close()

	// A plaintext client sends its first request and reads the reply.
	conn, err = net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	pc := proto.NewConn(conn)
	pc.WriteRequest(proto.Request{Op: proto.OpPwd})
	resp, _, _ := pc.ReadResponse()
	fmt.Println("plaintext client:", resp.Err())
	// Output:
	// TLS 1.3: true, got "hello"
	// plaintext client: this server requires TLS (use -tls)
}
