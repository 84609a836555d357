// Package spawn starts a program the way a C supervisor does: fork, and go
// on at once, while the child sets itself up and executes the program on
// its own.
//
// syscall.ForkExec clones with CLONE_VM|CLONE_VFORK: the caller's thread is
// suspended until the child has executed the program (or failed to), then
// reads an error pipe, so that an exec failure comes back as an error.
// Start returns as soon as the kernel has made the child, which runs raw
// system calls only (child.go), executes the program and, should anything
// fail, writes one record (its pid and the errno) to a close-on-exec pipe
// of this package and exits ExitCode, as runit's child exits 111 after
// "unable to start". Whoever collects the exit of a pid with ExitCode asks
// ExecError whether it was an exec failure: the record is in the pipe
// before the exit can be collected.
//
// The clone: on amd64 (without the race detector) clone3 with CLONE_VM
// but without CLONE_VFORK, the child on a stack of its own (vm_amd64.s),
// sharing the parent's memory until its execve, which the kernel reports
// by clearing a word of the child's slot (CLONE_CHILD_CLEARTID): no page
// tables are copied, which costs as much as the exec Go's vfork waits for
// (~0.15-0.2 ms on a small process here). Elsewhere, or where the kernel
// refuses it, clone3 or clone(2) without CLONE_VM: a copy, as fork(2).
// Caught signals go back to SIG_DFL in the child (CLONE_CLEAR_SIGHAND, or
// by hand after clone(2)) before it unblocks any.
//
// Every byte the child needs (the NUL-terminated path, argv and envp
// arrays, the directory, the descriptors) is prepared by the parent before
// the clone, in a slot whose buffers are reused, under syscall.ForkLock.
package spawn

import (
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ExitCode is the exit code of a child that could not execute its
// program (runit's 111).
const ExitCode = 111

// MaxFiles is the largest number of descriptors Start gives a child.
const MaxFiles = 1024

// Attr is what a start needs beyond the program.
type Attr struct {
	// PidFD asks for a pidfd of the child (CLONE_PIDFD); Start returns -1
	// where the kernel has none.
	PidFD bool
	// UseCgroupFD starts the child in the cgroup whose directory CgroupFD
	// is open on (clone3 with CLONE_INTO_CGROUP). If the kernel refuses
	// it, Start returns the error and starts nothing.
	UseCgroupFD bool
	CgroupFD    int
	// Setsid makes the child a session (and process group) leader.
	Setsid bool
}

// cloneArgs is the kernel's struct clone_args (version 2, 88 bytes).
type cloneArgs struct {
	flags      uint64
	pidfd      uint64
	childTID   uint64
	parentTID  uint64
	exitSignal uint64
	stack      uint64
	stackSize  uint64
	tls        uint64
	setTID     uint64
	setTIDSize uint64
	cgroup     uint64
}

// job is everything the child reads, prepared by the parent. The child
// has its own copy of it (no CLONE_VM) and writes only integers into it.
type job struct {
	path *byte  // the program
	argv **byte // NULL-terminated
	envv **byte // NULL-terminated
	dir  *byte  // nil: no chdir

	nfd    int            // descriptors to give: fds[:nfd] become 0..nfd-1
	nextfd int            // above every descriptor in fds[:nfd] and nfd
	errw   int            // write end of the record pipe
	fdp    unsafe.Pointer // fds[0] (-1: close that descriptor in the child)

	mask uint64 // the parent thread's signal mask before Start blocked all

	fixRlim bool           // restore the soft RLIMIT_NOFILE the Go runtime raised
	rlim    syscall.Rlimit // the original

	resetSigs bool // reset caught signals by hand (no CLONE_CLEAR_SIGHAND)
	setsid    bool

	clone3 bool
	flags  uintptr // clone(2)'s flags
	pidfd  int32   // CLONE_PIDFD's answer
	args   cloneArgs
}

// Everything below is guarded by syscall.ForkLock (held for writing): the
// slots and their buffers are reused by every start.
var (
	slots    []*slot  // each at the start of its own mapping
	heapKeep [][]byte // the slots' heap buffers (referred to from outside the heap)

	noVM     bool // CLONE_VM with a stack of the child's own refused: copies from now on
	noClone3 bool // clone3 or CLONE_CLEAR_SIGHAND refused: clone(2) from now on
	noPidfd  bool // CLONE_PIDFD refused: none from now on
)

// slot is one start's job, its strings and, with CLONE_VM, the child's
// stack. A child that shares the parent's memory (CLONE_VM) reads its slot
// until it has executed its program or exited, which the kernel tells by
// clearing busy (CLONE_CHILD_CLEARTID); until then Start takes another
// slot. A child with a copy of the memory leaves its slot free at once.
//
// All of it lives in one anonymous mapping of slotSize, outside the Go
// heap: the job at its start, then the descriptors, the argv and envp
// arrays and the strings, and the child's stack at its end. A start
// touches the page or two at the start (for a runsv's small environment)
// and one page of stack: no size class of the Go heap of its own. What
// does not fit (a huge environment) goes to the heap, kept alive here.
type slot struct {
	busy int32
	mem  []byte // the mapping
	job  *job   // at mem[0]
	heap []byte // the strings, arrays and descriptors when they do not fit in mem

	stackTop int // the child's initial stack pointer, as an offset in mem
}

// slotSize is each slot's mapping (address space; only touched pages
// count); stackSize its top part, the child's stack with CLONE_VM: the
// nosplit chain from vmChild needs less than 1 kB (the linker checks it
// against its limit).
const (
	slotSize  = 64 << 10
	maxSlots  = 4
	futexWait = 0 // FUTEX_WAIT (shared: the kernel wakes CLEARTID waiters without FUTEX_PRIVATE_FLAG)
	stackSize = 8 << 10
	// pageSize and smallStack: the usual start (a runsv's ./run, a
	// small environment) fits its job, strings and a stack of
	// smallStack in one page.
	pageSize   = 4 << 10
	smallStack = 2 << 10
)

// freeSlot returns a slot no child reads any more.
//
// At most maxSlots children can be between their clone and their exec:
// a start beyond them waits (as ForkExec waits for every one) until the
// kernel clears a slot, so that a burst of starts (runsvdir starting a
// tree) does not leave a page per child behind.
func freeSlot() (*slot, error) {
	for {
		for _, s := range slots {
			if atomic.LoadInt32(&s.busy) == 0 {
				return s, nil
			}
		}
		if len(slots) < maxSlots {
			break
		}
		// The kernel wakes a futex waiter on the word it clears
		// (CLONE_CHILD_CLEARTID: a shared futex); the timeout only
		// bounds a wait that began just after the clear.
		slotWaits.Add(1)
		ts := unix.Timespec{Nsec: 1e6}
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&slots[0].busy)), futexWait, 1,
			uintptr(unsafe.Pointer(&ts)), 0, 0)
	}
	// MmapPtr, not Mmap: Mmap records each mapping in a map (a heap size
	// class of its own in a small daemon); the slots are never unmapped.
	p, err := unix.MmapPtr(-1, 0, nil, slotSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_STACK)
	if err != nil {
		return nil, err
	}
	mem := unsafe.Slice((*byte)(p), slotSize)
	// The slot's own fields at the start of its mapping (no heap object,
	// no room in the binary's BSS), then the job.
	s := (*slot)(p)
	*s = slot{mem: mem, job: (*job)(unsafe.Add(p, (unsafe.Sizeof(slot{})+7)&^7))}
	slots = append(slots, s)
	return s, nil
}

// slotWaits counts the waits for a free slot (tests).
var slotWaits atomic.Int32

// forceClone makes Start use clone(2) and the child's own reset of the
// signal handlers, forceCopy clone3 without CLONE_VM (tests of those
// paths).
var forceClone, forceCopy bool

// Start starts path with argv and env in dir ("": the caller's), the child
// getting files[i] as descriptor i (^uintptr(0): closed), and returns its
// pid at once, with a pidfd if a asked for one (else -1). An error means
// no child: the fork itself failed (EAGAIN, ENOMEM: the caller may try
// again later), the kernel refused the cgroup, or the arguments are
// invalid (a NUL byte: EINVAL). A failure of the child to execute path
// shows as its exit with ExitCode and a record for ExecError.
func Start(path string, argv, env []string, dir string, files []uintptr, a *Attr) (pid, pidfd int, err error) {
	if len(files) > MaxFiles {
		return 0, -1, syscall.EINVAL
	}
	w, err := recordPipe()
	if err != nil {
		return 0, -1, err
	}
	if a == nil {
		a = &Attr{}
	}
	syscall.ForkLock.Lock()
	sl, err := freeSlot()
	if err == nil {
		sl.job.setsid = a.Setsid
		err = sl.prepare(path, argv, env, dir, files, w)
	}
	if err == nil {
		pid, pidfd, err = sl.fork(a)
	}
	syscall.ForkLock.Unlock()
	return pid, pidfd, err
}

// prepare fills the job (but for the clone flags).
func (sl *slot) prepare(path string, argv, env []string, dir string, files []uintptr, w int) error {
	j := sl.job
	n := len(path) + 1 + len(dir) + 1
	for _, s := range argv {
		n += len(s) + 1
	}
	for _, s := range env {
		n += len(s) + 1
	}
	// The descriptors, then the pointer arrays (8-byte aligned), then the
	// strings: in the mapping after the job if they fit below the
	// child's stack, else in the heap.
	k := len(argv) + len(env) + 2
	need := 8*len(files) + 8*k + n
	off := int((unsafe.Sizeof(slot{})+7)&^7 + (unsafe.Sizeof(*j)+7)&^7)
	area := sl.mem[off : slotSize-stackSize]
	// The child's stack: below the end of the first page if the rest
	// leaves it smallStack there (one page touched in all), else at the
	// end of the mapping.
	sl.stackTop = slotSize
	if off+need <= pageSize-smallStack {
		sl.stackTop = pageSize
	}
	if need > len(area) {
		if cap(sl.heap) < need+8 {
			sl.heap = make([]byte, need+8+need/2)
			heapKeep = append(heapKeep, sl.heap)
		}
		area = sl.heap[:cap(sl.heap)]
		area = area[(8-uintptr(unsafe.Pointer(&area[0]))%8)%8:]
	}
	fds := unsafe.Slice((*int)(unsafe.Pointer(&area[0])), len(files)+1)
	area = area[8*len(files):]
	sl0 := unsafe.Slice((**byte)(unsafe.Pointer(&area[0])), k)
	area = area[8*k:]
	arena := area[:0:n]
	// The arena does not move while it is filled (its capacity
	// suffices), so that pointers into it are taken as it grows.
	b := arena
	add := func(s string) *byte {
		i := len(b)
		b = append(append(b, s...), 0)
		return &b[i]
	}
	j.path = add(path)
	j.dir = nil
	if dir != "" {
		j.dir = add(dir)
	}
	p := sl0[:0]
	for _, s := range argv {
		p = append(p, add(s))
	}
	p = append(p, nil)
	for _, s := range env {
		p = append(p, add(s))
	}
	p = append(p, nil)
	// A NUL inside a string would cut it short: refuse, as ForkExec does.
	nul := 0
	for _, c := range b {
		if c == 0 {
			nul++
		}
	}
	if nul != len(argv)+len(env)+1+b2i(dir != "") {
		return syscall.EINVAL
	}
	j.argv = &p[0]
	j.envv = &p[len(argv)+1]

	j.nfd = len(files)
	j.nextfd = len(files)
	j.fdp = unsafe.Pointer(&fds[0])
	for i, f := range files {
		fd := int(f)
		if f == ^uintptr(0) {
			fd = -1
		}
		fds[i] = fd
		if fd > j.nextfd {
			j.nextfd = fd
		}
	}
	j.nextfd++
	j.errw = w
	j.fixRlim = false
	if r := origRlimitNofile(); r != nil {
		j.fixRlim, j.rlim = true, *r
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fork clones the child (with the fallbacks: clone3 without CLONE_VM,
// clone(2)) and returns its pid and pidfd.
func (sl *slot) fork(a *Attr) (pid, pidfd int, err error) {
	j := sl.job
	for {
		wantPidfd := a.PidFD && !noPidfd
		j.pidfd = -1
		j.clone3 = a.UseCgroupFD || !noClone3 && !forceClone
		vm := j.clone3 && haveVM && !noVM && !forceCopy
		j.resetSigs = !j.clone3
		if j.clone3 {
			// CLONE_CLEAR_SIGHAND (5.5): the kernel resets every
			// caught signal to SIG_DFL in the child, ignored ones stay.
			j.args = cloneArgs{flags: unix.CLONE_CLEAR_SIGHAND, exitSignal: uint64(syscall.SIGCHLD)}
			if wantPidfd {
				j.args.flags |= unix.CLONE_PIDFD
				j.args.pidfd = uint64(uintptr(unsafe.Pointer(&j.pidfd)))
			}
			if a.UseCgroupFD {
				j.args.flags |= unix.CLONE_INTO_CGROUP
				j.args.cgroup = uint64(a.CgroupFD)
			}
		} else {
			j.flags = uintptr(syscall.SIGCHLD)
			if wantPidfd {
				j.flags |= unix.CLONE_PIDFD
			}
		}
		var p uintptr
		var errno syscall.Errno
		// No runtime.LockOSThread: its first call starts the runtime's
		// template thread, a fourth thread for the life of every runsv
		// (~40 kB). None is needed: forkChild and forkChildVM are
		// nosplit and make raw system calls only, so nothing between
		// blocking the signals and restoring the mask can move the
		// goroutine to another thread (no preemption check, no
		// entersyscall, and the asynchronous preemption signal is
		// blocked).
		if vm {
			// The child runs on its own stack in the parent's memory
			// until its execve; the kernel clears busy then.
			j.args.flags |= unix.CLONE_VM | unix.CLONE_CHILD_CLEARTID
			j.args.childTID = uint64(uintptr(unsafe.Pointer(&sl.busy)))
			// The kernel starts the child's stack pointer at stack +
			// stackSize (the stack grows down towards the job).
			j.args.stack = uint64(uintptr(unsafe.Pointer(&sl.mem[0])))
			j.args.stackSize = uint64(sl.stackTop)
			atomic.StoreInt32(&sl.busy, 1)
			p, errno = forkChildVM(j)
			if errno != 0 {
				atomic.StoreInt32(&sl.busy, 0)
			}
		} else {
			p, errno = forkChild(j)
		}
		switch {
		case errno == 0:
			pidfd = -1
			if wantPidfd {
				pidfd = int(j.pidfd)
			}
			return int(p), pidfd, nil
		case vm && !a.UseCgroupFD && (errno == syscall.EINVAL || errno == syscall.E2BIG):
			// clone3 without a stack argument (before 5.5)? Copies.
			noVM = true
		case j.clone3 && !a.UseCgroupFD && (errno == syscall.ENOSYS || errno == syscall.EINVAL || errno == syscall.E2BIG):
			// No clone3 (before 5.3) or no CLONE_CLEAR_SIGHAND (5.5).
			noClone3 = true
		case !j.clone3 && wantPidfd && errno == syscall.EINVAL:
			// No CLONE_PIDFD (before 5.2).
			noPidfd = true
		default:
			return 0, -1, errno
		}
	}
}

// The record pipe: children that fail write {pid, errno} to it.
var records struct {
	once sync.Once
	err  error
	r, w int

	mu          sync.Mutex
	*recordBufs // allocated at the first ExecError: most processes never ask
	n           int
}

// recordBufs is the table of records read but not yet asked for (tab[:n],
// oldest first) and the buffer they are read into.
type recordBufs struct {
	tab [128]record
	buf [128 * recordSize]byte
}

type record struct {
	pid   int32
	errno int32
}

const recordSize = int(unsafe.Sizeof(record{}))

// recordPipe returns the write end of the record pipe, made on first use
// (close-on-exec; non-blocking at both ends: a child never waits on a
// full pipe, its record is then lost and its exit stays unexplained).
func recordPipe() (int, error) {
	records.once.Do(func() {
		var p [2]int
		records.err = unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK)
		records.r, records.w = p[0], p[1]
	})
	return records.w, records.err
}

// ExecError reports whether the child pid failed to execute its program
// (or to set itself up for it), and the errno. Ask it when pid's exit
// with ExitCode is collected: the record is removed. The pipe is read
// until pid's record turns up; records of other pids read meanwhile are
// kept for their own question (the len(records.tab) most recent; the pipe
// holds thousands more).
func ExecError(pid int) (syscall.Errno, bool) {
	if _, err := recordPipe(); err != nil {
		return 0, false
	}
	records.mu.Lock()
	defer records.mu.Unlock()
	if records.recordBufs == nil {
		records.recordBufs = new(recordBufs)
	}
	if e, ok := take(pid); ok {
		return e, true
	}
	for {
		// Read no more than the table has room for (at least a few).
		n := (len(records.tab) - records.n) * recordSize
		n = max(n, 8*recordSize)
		n, err := unix.Read(records.r, records.buf[:n])
		if n <= 0 || err != nil {
			return 0, false
		}
		found, e := false, syscall.Errno(0)
		for i := 0; i+recordSize <= n; i += recordSize {
			rec := *(*record)(unsafe.Pointer(&records.buf[i]))
			if int(rec.pid) == pid && !found {
				found, e = true, syscall.Errno(rec.errno)
				continue
			}
			keep(rec)
		}
		if found {
			return e, true
		}
	}
}

// take removes pid's record from the table.
func take(pid int) (syscall.Errno, bool) {
	tab := &records.tab
	for i := 0; i < records.n; i++ {
		if int(tab[i].pid) == pid {
			e := syscall.Errno(tab[i].errno)
			// The table stays in order of arrival.
			copy(tab[i:records.n], tab[i+1:records.n])
			records.n--
			tab[records.n] = record{}
			return e, true
		}
	}
	return 0, false
}

// keep appends rec to the table, dropping the oldest record if it is full.
func keep(rec record) {
	tab := &records.tab
	if records.n == len(tab) {
		copy(tab[:], tab[1:])
		records.n--
	}
	tab[records.n] = rec
	records.n++
}

const sysClone3 = unix.SYS_CLONE3

const sigSetmask = unix.SIG_SETMASK
