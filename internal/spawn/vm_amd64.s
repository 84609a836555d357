//go:build amd64 && !race

#include "textflag.h"

// func cloneVM(args *cloneArgs, size uintptr, j *job) (pid uintptr, errno uintptr)
TEXT ·cloneVM(SB),NOSPLIT,$0-40
	MOVQ	args+0(FP), DI
	MOVQ	size+8(FP), SI
	MOVQ	j+16(FP), R12	// kept by the system call, for the child
	MOVQ	$435, AX	// SYS_clone3
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	NEGQ	AX
	MOVQ	$0, pid+24(FP)
	MOVQ	AX, errno+32(FP)
	RET
ok:
	MOVQ	AX, pid+24(FP)
	MOVQ	$0, errno+32(FP)
	RET
child:
	// The child's own stack (16-byte aligned top): vmChild(j).
	SUBQ	$16, SP
	MOVQ	R12, 0(SP)
	CALL	·vmChild(SB)
	// Not reached: child exits or executes.
	MOVL	$111, DI
	MOVL	$231, AX	// SYS_exit_group
	SYSCALL
	JMP	-3(PC)
