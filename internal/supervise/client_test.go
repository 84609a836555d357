package supervise

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// svcDir makes a service directory with supervise/ok and
// supervise/control FIFOs and the status file given.
func svcDir(t *testing.T, status []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{OKPath, ControlPath} {
		if err := unix.Mkfifo(filepath.Join(dir, f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if status != nil {
		if err := os.WriteFile(filepath.Join(dir, StatusPath), status, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// reader opens a FIFO for reading, as runsv holds ok and control.
func reader(t *testing.T, path string) int {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func TestClientNotRunning(t *testing.T) {
	dir := svcDir(t, nil)
	err := Running(dir)
	if !NotRunning(err) || err.Error() != "unable to open supervise/ok: device not configured" {
		t.Fatalf("Running: %v", err)
	}
	err = Send(dir, "u")
	if !NotRunning(err) || err.Error() != "unable to open supervise/control: device not configured" {
		t.Fatalf("Send: %v", err)
	}
	err = Running(t.TempDir())
	if NotRunning(err) || err.Error() != "unable to open supervise/ok: file does not exist" {
		t.Fatalf("Running without supervise/: %v", err)
	}
}

func TestClientRunning(t *testing.T) {
	var rec [Size]byte
	(&Record{PID: 42, Want: WantUp, State: Run}).Encode(&rec)
	dir := svcDir(t, rec[:])
	reader(t, filepath.Join(dir, OKPath))
	ctl := reader(t, filepath.Join(dir, ControlPath))
	if err := Running(dir); err != nil {
		t.Fatal(err)
	}
	var b Buf
	if err := ReadStatus(dir, b[:]); err != nil || b.Record().PID != 42 || b.Want() != WantUp {
		t.Fatalf("ReadStatus: %v %+v", err, b.Record())
	}
	var d [DaemontoolsSize]byte
	if err := ReadStatus(dir, d[:]); err != nil {
		t.Fatalf("ReadStatus 18: %v", err)
	}
	if err := Send(dir, "dx"); err != nil {
		t.Fatal(err)
	}
	if err := SendAll(dir, "t"); err != nil {
		t.Fatal(err)
	}
	var got [8]byte
	if n, err := unix.Read(ctl, got[:]); err != nil || string(got[:n]) != "dxt" {
		t.Fatalf("control got %q %v", got[:n], err)
	}
	// A short record: bad format, and the buffer partly overwritten.
	os.WriteFile(filepath.Join(dir, StatusPath), []byte("abc"), 0o644)
	err := ReadStatus(dir, b[:])
	if err == nil || err.Error() != "unable to read supervise/status: bad format" || string(b[:3]) != "abc" || b.Record().State != Run {
		t.Fatalf("short record: %v % x", err, b)
	}
	os.Remove(filepath.Join(dir, StatusPath))
	if err := ReadStatus(dir, b[:]); err == nil || err.Error() != "unable to open supervise/status: file does not exist" {
		t.Fatalf("no record: %v", err)
	}
}

func TestPath(t *testing.T) {
	if Path("", OKPath) != "supervise/ok" || Path("/s/x", StatusPath) != "/s/x/supervise/status" || LogPrefix+StatFile != "log/supervise/stat" {
		t.Fatal("paths")
	}
}
