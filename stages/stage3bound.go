package stages

// The bound on stage 3 (a gorunit addition; runit waits for stage 3 for
// ever, so one hanging command in /etc/runit/3 keeps the machine from
// halting). Process 1 gives stage 3, the script or the built-in one, the
// number of seconds in /etc/runit/stage3-timeout (default 90; 0: no
// bound, runit's behaviour). When they are up and stage 3 still runs,
// process 1 kills its process group (stage 3 runs in its own session)
// with SIGKILL and goes on with the final sequence: every process is
// killed and the machine halts, powers off or reboots as asked (in a
// container, process 1 exits).

import (
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/msg"
	"gorunit/internal/scan"
)

const (
	fileStage3Timeout    = "/etc/runit/stage3-timeout"
	defaultStage3Timeout = 90 // seconds
)

// stage3Bound is process 1's state of the bound.
type stage3Bound struct {
	armed    bool      // read the file at the first wait of stage 3
	secs     uint64    // the bound in seconds (0: none)
	deadline time.Time // when stage 3 is killed
	killed   bool
}

// parseStage3Timeout reads the file's contents (ok false: no file): its
// leading decimal number, else the default.
func parseStage3Timeout(b []byte, ok bool) uint64 {
	if !ok {
		return defaultStage3Timeout
	}
	v, n := scan.Ulong(string(b))
	if n == 0 {
		return defaultStage3Timeout
	}
	if v > 1<<31 {
		v = 1 << 31
	}
	return v
}

func readStage3Timeout() uint64 {
	fd, err := unix.Open(fileStage3Timeout, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return parseStage3Timeout(nil, false)
	}
	defer unix.Close(fd)
	var buf [32]byte
	n, _ := unix.Read(fd, buf[:])
	if n < 0 {
		n = 0
	}
	return parseStage3Timeout(buf[:n], true)
}

// stage3Wait is how long process 1 may sleep (at most d) before it must
// kill stage 3. The first call in stage 3, right after its start, arms
// the bound.
func (p *pid1) stage3Wait(d time.Duration) time.Duration {
	b := &p.s3
	if p.st != stage3 || p.done || b.killed {
		return d
	}
	if !b.armed {
		b.armed = true
		b.secs = readStage3Timeout()
		b.deadline = time.Now().Add(time.Duration(b.secs) * time.Second)
	}
	if b.secs == 0 {
		return d
	}
	if left := time.Until(b.deadline); left < d {
		return max(left, 0)
	}
	return d
}

// stage3Check kills stage 3's process group once its time is up. It runs
// before the reaper: a stage 3 that has just ended is still a zombie, so
// its process group id cannot have been reused.
func (p *pid1) stage3Check() {
	b := &p.s3
	if p.st != stage3 || p.done || !b.armed || b.secs == 0 || b.killed || time.Now().Before(b.deadline) {
		return
	}
	b.killed = true
	warn("stage 3 not terminated after ", msg.Utoa(b.secs), " s, sending sigkill...")
	unix.Kill(-p.pid, unix.SIGKILL)
}
