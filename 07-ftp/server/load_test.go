package server_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/internal/faultproxy"
	"github.com/gosockets/tutorial/07-ftp/proto"
)

// loadDuration is how long TestLoad runs: 5 s by default so that the
// suite stays quick, 30 s (the figure) with
// -load-duration=30s or FTP_LOAD_DURATION=30s.
var loadDuration = flag.Duration("load-duration", 5*time.Second, "how long TestLoad runs")

const (
	loadClients = 100
	loadUsers   = 10
)

// loadStats counts what the load test did.
type loadStats struct {
	puts, gets, resumedPuts, resumedGets, cuts, busy atomic.Int64
	sentUp                                           atomic.Int64
}

// TestLoad runs 100 concurrent clients (10 users, 10 sessions each) doing
// mixed puts and gets through a proxy that cuts about a third of the
// connections at a random byte, in either direction, with FIN or RST. A
// client whose transfer is cut logs in again and repeats it, which resumes
// it. The test stops by itself after -load-duration. Afterwards: every
// file a client completed has the content it sent, every get returned
// what was stored, each user's usage counter equals the bytes on disk, no
// goroutine is left behind (goleak), and the server still answers a new
// login.
func TestLoad(t *testing.T) {
	d := *loadDuration
	if env := os.Getenv("FTP_LOAD_DURATION"); env != "" {
		var err error
		if d, err = time.ParseDuration(env); err != nil {
			t.Fatalf("FTP_LOAD_DURATION: %v", err)
		}
	}
	// Registered first, so it runs last: after the server and the proxy
	// have shut down.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })

	ts := startServer(t)
	for u := range loadUsers {
		ts.addUser(t, fmt.Sprintf("load%d", u), "pw", 256<<20)
	}
	p, err := faultproxy.Start(ts.addr, faultproxy.NoFault)
	if err != nil {
		t.Fatal(err)
	}
	p.SetFaultFunc(func(int) faultproxy.Fault {
		if rand.IntN(3) != 0 {
			return faultproxy.NoFault
		}
		dir := faultproxy.ClientToServer
		if rand.IntN(2) == 0 {
			dir = faultproxy.ServerToClient
		}
		return faultproxy.Fault{Dir: dir, After: rand.Int64N(300 << 10), Reset: rand.IntN(2) == 0}
	})
	// Drain the proxy's per-connection reports as they come.
	drainCtx, stopDrain := context.WithCancel(context.Background())
	drained := make(chan struct{})
	var st loadStats
	go func() {
		defer close(drained)
		for {
			s, err := p.Next(drainCtx)
			if err != nil {
				return
			}
			if s.Cut {
				st.cuts.Add(1)
			}
			st.sentUp.Add(s.Up)
		}
	}()

	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	errs := make(chan error, loadClients)
	final := make([]loadFiles, loadClients)
	for i := range loadClients {
		wg.Go(func() {
			f, err := loadClient(t, i, p.Addr(), deadline, &st)
			final[i] = f
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	c := ts.login(t, "load0", "pw")
	if _, err := c.Pwd(); err != nil {
		t.Errorf("server does not answer after the load: %v", err)
	}
	c.Close()
	stopDrain()
	<-drained
	p.Close()

	// Verify on disk once every session has ended and let go of its part.
	ts.stop(t)
	files := 0
	for i, f := range final {
		user := fmt.Sprintf("load%d", i%loadUsers)
		for name, want := range f.stored {
			got, err := os.ReadFile(filepath.Join(ts.home(user), name))
			if f.cut != nil && f.cut.name == name && bytes.Equal(got, f.cut.data) {
				continue // the last put was cut after the server stored it
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s/%s: %d bytes (%v), want the %d bytes the client stored", user, name, len(got), err, len(want))
			}
			files++
		}
	}
	for u := range loadUsers {
		ts.checkUsage(t, fmt.Sprintf("load%d", u))
	}
	t.Logf("%v, %d clients: %d puts (%d resumed), %d gets (%d resumed), %d connections cut, %d busy replies, %d files verified, %.1f MiB up through the proxy",
		d, loadClients, st.puts.Load(), st.resumedPuts.Load(), st.gets.Load(), st.resumedGets.Load(), st.cuts.Load(), st.busy.Load(), files, float64(st.sentUp.Load())/(1<<20))
}

// loadFiles is what one load client leaves on the server: the files it
// stored, and the put it was repeating when time ran out, if any. A put
// whose connection was cut may have been stored before the cut (the reply
// was lost), so that file may hold either content.
type loadFiles struct {
	stored map[string][]byte
	cut    *loadPut
}

type loadPut struct {
	name string
	data []byte
}

// loadClient is one of TestLoad's clients. It returns the remote files it
// completed, with their content, and the put it was repeating at the end.
func loadClient(t *testing.T, i int, addr string, deadline time.Time, st *loadStats) (loadFiles, error) {
	user := fmt.Sprintf("load%d", i%loadUsers)
	dir := t.TempDir()
	stored := map[string][]byte{}
	var pending *loadPut
	files := func() loadFiles { return loadFiles{stored: stored, cut: pending} }
	var c *client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for n := 0; time.Now().Before(deadline); n++ {
		if c == nil {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			cc, err := client.Dial(ctx, addr, testTimeout)
			cancel()
			if err != nil {
				return files(), fmt.Errorf("client %d: dial: %w", i, err)
			}
			if err := cc.Login(user, "pw"); err != nil {
				cc.Abort()
				if errors.Is(err, client.ErrConn) {
					continue // cut during the login
				}
				return files(), fmt.Errorf("client %d: login: %w", i, err)
			}
			c = cc
		}
		var err error
		switch {
		case pending != nil || len(stored) == 0 || rand.IntN(2) == 0:
			if pending == nil {
				pending = &loadPut{fmt.Sprintf("c%d-f%d", i, rand.IntN(3)), make([]byte, rand.IntN(256<<10))}
				for k := range pending.data {
					pending.data[k] = byte(rand.Uint32())
				}
			}
			local := filepath.Join(dir, pending.name)
			if err = os.WriteFile(local, pending.data, 0o644); err != nil {
				return files(), err
			}
			var r client.Result
			r, err = c.Put(local, pending.name)
			if err == nil {
				st.puts.Add(1)
				if r.Offset > 0 {
					st.resumedPuts.Add(1)
				}
				stored[pending.name] = pending.data
				pending = nil
			}
		default:
			var name string
			for name = range stored {
				break
			}
			local := filepath.Join(dir, "got-"+name)
			var r client.Result
			r, err = c.Get(name, local)
			if err == nil {
				st.gets.Add(1)
				if r.Offset > 0 {
					st.resumedGets.Add(1)
				}
				got, rerr := os.ReadFile(local)
				if rerr != nil || !bytes.Equal(got, stored[name]) {
					return files(), fmt.Errorf("client %d: get %s returned %d bytes that differ from the %d stored", i, name, len(got), len(stored[name]))
				}
				os.Remove(local)
			}
		}
		var pe *proto.Error
		switch {
		case err == nil:
			if rand.IntN(4) == 0 { // hang up now and then, politely
				c.Close()
				c = nil
			}
		case errors.Is(err, client.ErrConn):
			c.Abort()
			c = nil
		case errors.As(err, &pe) && pe.Code == proto.CodeBusy:
			st.busy.Add(1) // the cut session still holds the part; try again
		default:
			return files(), fmt.Errorf("client %d: %w", i, err)
		}
	}
	// An upload cut at the very end stays a part file on the server; the
	// usage check counts it.
	return files(), nil
}
