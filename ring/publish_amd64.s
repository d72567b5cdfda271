//go:build !race

#include "textflag.h"

// func storeRelease(addr *uint64, v uint64)
// A plain MOV: on amd64 (TSO) every store is a release store. See publish.go.
TEXT ·storeRelease(SB), NOSPLIT, $0-16
	MOVQ addr+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, 0(AX)
	RET
