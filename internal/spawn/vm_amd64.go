//go:build amd64 && !race

package spawn

import (
	"syscall"
	"unsafe"
)

// haveVM: this architecture has cloneVM (vm_amd64.s). Not with the race
// detector: the ABI wrapper through which cloneVM calls vmChild would call
// the race runtime in the child.
const haveVM = true

// cloneVM is clone3(args) whose child, on the stack args names, calls
// vmChild(j) and never returns; the parent gets the pid or the errno.
//
//go:noescape
func cloneVM(args *cloneArgs, size uintptr, j *job) (pid uintptr, errno uintptr)

// forkChildVM is forkChild for CLONE_VM: every signal blocked on the
// calling thread around the clone, the mask restored in the parent.
//
//go:nosplit
//go:norace
//go:nocheckptr
//go:noinline
func forkChildVM(j *job) (pid uintptr, errno syscall.Errno) {
	all := ^uint64(0)
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&j.mask)), 8, 0, 0)
	p, e := cloneVM(&j.args, unsafe.Sizeof(j.args), j)
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&j.mask)), 0, 8, 0, 0)
	return p, syscall.Errno(e)
}

// vmChild is the CLONE_VM child's first Go function, called by cloneVM
// on the child's own stack.
//
//go:nosplit
//go:norace
//go:nocheckptr
func vmChild(j *job) {
	child(j)
}
