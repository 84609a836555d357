//go:build !amd64 || race

package spawn

import "syscall"

// haveVM: no cloneVM on this architecture or with the race detector (see
// vm_amd64.go); the child gets a copy of the parent's memory (clone3 or
// clone(2) without CLONE_VM).
const haveVM = false

func forkChildVM(j *job) (uintptr, syscall.Errno) { return 0, syscall.ENOSYS }
