package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// bpfMaxInsns is the kernel's limit on one filter (BPF_MAXINSNS).
const bpfMaxInsns = 4096

// Load installs p on the calling thread with seccomp(2). It is pure Go and
// does no syscall besides seccomp itself, so it is safe to call in the
// container's init right before execve.
//
// The caller must:
//   - hold the OS thread (runtime.LockOSThread) from Load to execve: the
//     filter applies to this thread only, unless p.Flags has TSYNC;
//   - have set no_new_privs, or still have CAP_SYS_ADMIN in its user
//     namespace, or the kernel refuses the filter (EACCES).
//
// When p.Notify is set, Load returns the listener fd (close-on-exec) that
// the seccomp agent needs; otherwise it returns -1. A nil p loads nothing.
//
// Every flag in p.Flags is passed to the kernel: a kernel that does not know
// one fails the call, and the error names the flag.
func Load(p *Program) (listenerFd int, err error) {
	if p == nil {
		return -1, nil
	}
	insns, err := p.check()
	if err != nil {
		return -1, err
	}
	prog := unix.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
	fl := p.LoadFlags()
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(fl), uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(insns)
	if errno != 0 {
		return -1, loadError(errno, fl)
	}
	if p.Notify {
		return int(r), nil
	}
	if r != 0 {
		// TSYNC without a listener returns the id of a thread that could not
		// take the filter (it has a diverging one), and loads nothing.
		return -1, fmt.Errorf("seccomp: SECCOMP_FILTER_FLAG_TSYNC: thread %d could not be synchronized to the filter", r)
	}
	return -1, nil
}

// Check says whether Load would refuse p before asking the kernel, in its
// words: for a loader that is not Load (the fast init's, in C).
func Check(p *Program) error {
	_, err := p.check()
	return err
}

func (p *Program) check() ([]unix.SockFilter, error) {
	if unknown := p.Flags &^ knownFlagBits(); unknown != 0 {
		return nil, fmt.Errorf("seccomp: program has unknown flag bits %#x; recompile it with this xrt", unknown)
	}
	return decodeFilter(p.Filter)
}

// LoadError is the error of Load for seccomp(2)'s errno with flags fl.
func LoadError(errno unix.Errno, fl uint) error { return loadError(errno, fl) }

// decodeFilter copies the raw sock_filter array into typed instructions,
// checking that the kernel can take it.
func decodeFilter(b []byte) ([]unix.SockFilter, error) {
	if len(b) == 0 || len(b)%sockFilterSize != 0 {
		return nil, fmt.Errorf("seccomp: filter of %d bytes is not an array of 8-byte BPF instructions; recompile it", len(b))
	}
	n := len(b) / sockFilterSize
	if n > bpfMaxInsns {
		return nil, fmt.Errorf("seccomp: filter has %d instructions, the kernel takes at most %d; simplify the profile", n, bpfMaxInsns)
	}
	insns := make([]unix.SockFilter, n)
	for i := range insns {
		e := b[i*sockFilterSize:]
		insns[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(e[0:2]),
			Jt:   e[2],
			Jf:   e[3],
			K:    binary.NativeEndian.Uint32(e[4:8]),
		}
	}
	return insns, nil
}

func loadError(errno unix.Errno, fl uint) error {
	switch errno {
	case unix.EACCES:
		return fmt.Errorf("seccomp: load filter: %w (set no_new_privs first, or load it while the process still has CAP_SYS_ADMIN)", errno)
	case unix.EINVAL:
		for _, name := range sortedKeys(flags) {
			bit := flags[specs.LinuxSeccompFlag(name)]
			if fl&bit != 0 && !flagSupported(bit) {
				return fmt.Errorf("seccomp: load filter: this kernel does not support %s: %w", name, errno)
			}
		}
		if fl&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 && !flagSupported(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER) {
			return fmt.Errorf("seccomp: load filter: this kernel does not support SCMP_ACT_NOTIFY (SECCOMP_FILTER_FLAG_NEW_LISTENER, Linux 5.0): %w", errno)
		}
		if fl&unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH != 0 && !flagSupported(unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH) {
			return fmt.Errorf("seccomp: load filter: this kernel cannot combine SECCOMP_FILTER_FLAG_TSYNC with SCMP_ACT_NOTIFY (needs Linux 5.7): %w", errno)
		}
		return fmt.Errorf("seccomp: load filter: the kernel rejected the BPF program: %w", errno)
	case unix.ESRCH:
		return fmt.Errorf("seccomp: load filter: SECCOMP_FILTER_FLAG_TSYNC: another thread could not be synchronized: %w", errno)
	case unix.ENOMEM:
		return fmt.Errorf("seccomp: load filter: %w (the process's filters exceed the kernel's size limit)", errno)
	case unix.EBUSY:
		return fmt.Errorf("seccomp: load filter: %w (a seccomp listener is already installed for this process)", errno)
	}
	return fmt.Errorf("seccomp: load filter: %w", errno)
}

// flagSupported reports whether the kernel knows a SECCOMP_FILTER_FLAG_*.
// It asks to load a NULL filter: a known flag set gets as far as copying the
// filter (EFAULT), an unknown one fails first (EINVAL). Nothing is loaded.
func flagSupported(bit uint) bool {
	if bit == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
		// Only valid together with a listener.
		bit |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(bit), 0)
	return errors.Is(errno, unix.EFAULT)
}

// SupportedFlags lists the flags of Features that this kernel supports, for
// the supportedFlags of `xrt features`.
func SupportedFlags() []string {
	var out []string
	for _, name := range sortedKeys(flags) {
		if flagSupported(flags[specs.LinuxSeccompFlag(name)]) {
			out = append(out, name)
		}
	}
	return out
}

func knownFlagBits() uint {
	var bits uint
	for _, b := range flags {
		bits |= b
	}
	return bits
}

// LoadFlags are the flags seccomp(2) gets for p: its own, and the listener
// a NOTIFY profile needs.
func (p *Program) LoadFlags() uint {
	fl := p.Flags
	if p.Notify {
		fl |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
		if fl&unix.SECCOMP_FILTER_FLAG_TSYNC != 0 {
			// Without TSYNC_ESRCH the kernel cannot report both a listener
			// fd and a thread that failed to sync, so it refuses the pair.
			fl |= unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
		}
	}
	return fl
}
