package sigpipe

import (
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// wfd is the pipe's write end, read by handler.
var wfd int32

// pending has bit s-1 set by handler for each signal s delivered.
var pending uint64

// takePending returns and clears pending.
func takePending() uint64 { return atomic.SwapUint64(&pending, 0) }

// Implemented in sigpipe_amd64.s.
func handler()
func restorer()
func handlerPC() uintptr
func restorerPC() uintptr

// kernelSigaction is struct sigaction as rt_sigaction takes it on amd64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const (
	saOnstack  = 0x08000000
	saRestart  = 0x10000000
	saRestorer = 0x04000000
)

func install(w int, sigs []syscall.Signal) {
	wfd = int32(w)
	sa := kernelSigaction{handler: handlerPC(), flags: saOnstack | saRestart | saRestorer, restorer: restorerPC()}
	for _, s := range sigs {
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(s), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
	}
}
