#include "textflag.h"

// handler(sig) is called by the kernel in the C ABI, the signal number in
// DI, on the thread's signal stack. It writes that number as one byte to
// wfd (write(2); a full pipe drops it) after setting its bit in pending.
// The kernel restores every register on return.
TEXT ·handler(SB),NOSPLIT|NOFRAME,$0
	// pending |= 1<<(sig-1), atomically: a byte the full pipe drops is
	// still seen by Drain.
	MOVL	DI, CX
	DECL	CX
	MOVQ	$1, AX
	SHLQ	CX, AX
	LOCK
	ORQ	AX, ·pending(SB)
	SUBQ	$16, SP
	MOVB	DI, 0(SP)
	MOVL	·wfd(SB), DI
	MOVQ	SP, SI
	MOVL	$1, DX
	MOVL	$1, AX // SYS_write
	SYSCALL
	ADDQ	$16, SP
	RET

// restorer returns from the handler (SA_RESTORER, required on amd64).
TEXT ·restorer(SB),NOSPLIT|NOFRAME,$0
	MOVL	$15, AX // SYS_rt_sigreturn
	SYSCALL
	INT	$3

TEXT ·handlerPC(SB),NOSPLIT,$0-8
	LEAQ	·handler(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·restorerPC(SB),NOSPLIT,$0-8
	LEAQ	·restorer(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
