// Package mainstack grows the main goroutine's stack from the runtime's
// 2 kB straight to 8 kB, before any other package's initialiser has grown
// it to 4 kB, so that no process of the multi-call binary uses the 4 kB
// stack size.
//
// Each goroutine stack size in use costs a 32 kB span of the stack pool,
// every page of which the runtime writes when it threads its free list
// through the span's slots (8 slots of 4 kB, 4 of 8 kB). internal/godebug's
// initialiser (every Go program: time imports it) grows the main stack
// from 2 to 4 kB; runsv's loop later grows it again to 8 kB. So a svlogd
// paid for the 4 kB span (32 kB resident) and a runsv for both the 4 and
// the 8 kB spans, of which the 4 kB one then held nothing. The runtime
// sizes a stack it grows by the frame of the function that asked for
// more: init below asks for ~5 kB at once, so the first growth is to
// 8 kB and the 4 kB span is never allocated.
//
// Package initialisers run in the order of their import paths among those
// whose imports are done: this package imports nothing, and
// "gorunit/internal/mainstack" sorts before "internal/godebug", so its
// initialiser runs first (TestFirstGrowth checks that it did).
package mainstack

// Frame is the stack the initialiser's frame needs: with what the runtime
// keeps free below it, more than a 4 kB stack and less than an 8 kB one.
const Frame = 5 << 10

func init() { grow() }

//go:noinline
func grow() byte {
	var b [Frame]byte
	return touch(&b)
}

//go:noinline
func touch(b *[Frame]byte) byte { return b[len(b)-1] }
