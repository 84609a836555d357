//go:build !amd64

package sigpipe

import (
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

var pending uint64

func takePending() uint64 { return atomic.SwapUint64(&pending, 0) }

func install(w int, sigs []syscall.Signal) {
	c := make(chan os.Signal, 16)
	for _, s := range sigs {
		signal.Notify(c, s)
	}
	go func() {
		var b [1]byte
		for s := range c {
			n := s.(syscall.Signal)
			atomic.OrUint64(&pending, 1<<(n-1))
			b[0] = byte(n)
			unix.Write(w, b[:])
		}
	}()
}
