package server_test

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchSize is the file moved by each iteration of the transfer benchmarks.
const benchSize = 64 << 20

// benchFile writes a file of benchSize pseudo-random bytes into dir, a
// megabyte at a time, so that making it costs the profile little.
func benchFile(b *testing.B, dir string) string {
	b.Helper()
	name := filepath.Join(dir, "src.bin")
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	for range benchSize / len(buf) {
		for i := 0; i < len(buf); i += 8 {
			binary.LittleEndian.PutUint64(buf[i:], r.Uint64())
		}
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	return name
}

// BenchmarkPut uploads a 64 MiB file through a real server on loopback, in
// this process: SHA-256 on both sides, fsync, rename. Compare two builds
// with benchstat (see the chapter README).
func BenchmarkPut(b *testing.B) {
	ts := startServer(b)
	ts.addUser(b, "bench", "pw", 1<<40)
	c := ts.login(b, "bench", "pw")
	src := benchFile(b, b.TempDir())
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := c.Put(src, "up.bin"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet downloads a 64 MiB file that an upload stored (its SHA-256
// is recorded, so the server sends it with sendfile), into a fresh local
// file each time: SHA-256 on the client, fsync, rename.
func BenchmarkGet(b *testing.B) {
	ts := startServer(b)
	ts.addUser(b, "bench", "pw", 1<<40)
	c := ts.login(b, "bench", "pw")
	dir := b.TempDir()
	src := benchFile(b, dir)
	if _, err := c.Put(src, "big.bin"); err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(dir, "down.bin")
	b.SetBytes(benchSize)
	for b.Loop() {
		os.Remove(dst)
		if _, err := c.Get("big.bin", dst); err != nil {
			b.Fatal(err)
		}
	}
}
