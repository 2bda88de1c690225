package seccomp

import (
	"encoding/binary"
	"runtime"

	"golang.org/x/sys/unix"
)

// enosysStub is BPF put before the profile's filter: on x86_64, a syscall
// numbered above every syscall the profile names returns ENOSYS instead of
// the default action. A profile written before a syscall existed then
// makes the C library fall back (clone3 to clone, faccessat2 to
// faccessat, ...), as it would on an older kernel, rather than fail with
// EPERM. runc filters the same way. x32 calls (bit 30) are left to the
// profile. nil when there is nothing to put: another architecture, or a
// default action that lets unknown syscalls through anyway.
func enosysStub(maxNr int32, defaultAllows bool) []byte {
	if runtime.GOARCH != "amd64" || defaultAllows || maxNr <= 0 {
		return nil
	}
	const x32Bit = 0x40000000
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // seccomp_data.arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 4, K: unix.AUDIT_ARCH_X86_64},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, Jt: 2, Jf: 0, K: x32Bit},
		{Code: unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, Jt: 0, Jf: 1, K: uint32(maxNr)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
	}
	out := make([]byte, 0, len(prog)*sockFilterSize)
	for _, in := range prog {
		out = binary.NativeEndian.AppendUint16(out, in.Code)
		out = append(out, in.Jt, in.Jf)
		out = binary.NativeEndian.AppendUint32(out, in.K)
	}
	return out
}
