package server_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// smallDiskEnv marks the child process of a test that runs in its own
// mount namespace.
const smallDiskEnv = "FTP_TEST_SMALL_DISK"

// smallDisk gives a test a file system of its own that can really fill
// up: a tmpfs mounted with opts (size=64k, nr_inodes=40, ...) on a
// temporary directory, in a private mount namespace, so nothing outside
// the test sees it. It works by running the calling test again in a child
// process with a new mount namespace (which needs root). In that child it
// returns the directory and a function that remounts it with new options;
// in the parent it waits for the child, fails if the child failed, and
// returns "" and nil: the test then returns at once.
func smallDisk(t *testing.T, opts string) (string, func(opts string)) {
	t.Helper()
	if os.Getenv(smallDiskEnv) == "" {
		runInMountNamespace(t)
		return "", nil
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		t.Fatalf("mount tmpfs (%s): %v", opts, err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir, func(opts string) {
		t.Helper()
		if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, opts); err != nil {
			t.Fatalf("remount tmpfs (%s): %v", opts, err)
		}
	}
}

// runInMountNamespace runs the calling test alone in a child process with
// a new, private mount namespace, and reports its outcome.
func runInMountNamespace(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root to mount a small tmpfs in a mount namespace")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), smallDiskEnv+"=1")
	// Go makes the new namespace's mounts private, so the tmpfs never
	// shows outside the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("in a mount namespace: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("in a mount namespace:\n%s", out)
	}
}

// TestDiskFullKeepsOldFileAndPart fills a real (small) disk in the middle
// of an upload that would replace a file: the put fails with a clear
// error, the old file is untouched, the part keeps what was written
// (counted in the usage), and once there is room again the same put
// resumes from it.
func TestDiskFullKeepsOldFileAndPart(t *testing.T) {
	data, remount := smallDisk(t, "size=64k")
	if data == "" {
		return
	}
	ts := startServerAt(t, data)
	ts.addUser(t, "dina", "pw", 1<<20)
	c := ts.login(t, "dina", "pw")
	dir := t.TempDir()
	old := randomBytes(t, 1000)
	if _, err := c.Put(writeFile(t, dir, "old", old), "d"); err != nil {
		t.Fatal(err)
	}
	data100k := randomBytes(t, 100_000)
	local := writeFile(t, dir, "new", data100k)
	_, err := c.Put(local, "d")
	if err == nil || !strings.Contains(err.Error(), "no space left on the server's disk") {
		t.Fatalf("put on a full disk: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(ts.home("dina"), "d")); !bytes.Equal(got, old) {
		t.Error("the old file changed")
	}
	part := ts.partBytes(t, "dina", "/d")
	if len(part) == 0 || !bytes.HasPrefix(data100k, part) {
		t.Fatalf("part after ENOSPC: %d bytes; want a prefix of the upload", len(part))
	}
	ts.checkUsage(t, "dina")
	remount("size=1m")
	r, err := c.Put(local, "d")
	if err != nil || r.Offset != int64(len(part)) || r.Sent != int64(len(data100k)-len(part)) {
		t.Fatalf("resume once there is room = %+v, %v; want offset %d", r, err, len(part))
	}
	ts.checkUsage(t, "dina")
	t.Logf("the disk filled after %d bytes of the upload", len(part))
}

// TestAttack5_FullDiskDuringMkdirSaysSo runs out of inodes with mkdir on a
// real file system: the error says the disk is full, and says nothing of
// resuming a put.
func TestAttack5_FullDiskDuringMkdirSaysSo(t *testing.T) {
	data, _ := smallDisk(t, "size=1m,nr_inodes=24")
	if data == "" {
		return
	}
	ts := startServerAt(t, data)
	ts.addUser(t, "ivo", "pw", 1<<20)
	c := ts.login(t, "ivo", "pw")
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = c.Mkdir(fmt.Sprint("d", i))
	}
	if err == nil || !strings.HasSuffix(err.Error(), ": no space left on the server's disk") {
		t.Errorf("mkdir on a disk out of inodes = %v; want only that the disk is full", err)
	}
}
