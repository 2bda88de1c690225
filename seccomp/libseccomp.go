package seccomp

// A thin binding to the few libseccomp calls Compile needs. libseccomp is
// linked statically (xrt is a static binary), hence -l:libseccomp.a.

/*
#cgo LDFLAGS: -l:libseccomp.a
#include <stdlib.h>
#include <seccomp.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// arches maps the spec's architecture names to libseccomp's tokens, limited
// to what the linked libseccomp knows.
var arches = map[specs.Arch]uint32{
	specs.ArchX86:         C.SCMP_ARCH_X86,
	specs.ArchX86_64:      C.SCMP_ARCH_X86_64,
	specs.ArchX32:         C.SCMP_ARCH_X32,
	specs.ArchARM:         C.SCMP_ARCH_ARM,
	specs.ArchAARCH64:     C.SCMP_ARCH_AARCH64,
	specs.ArchMIPS:        C.SCMP_ARCH_MIPS,
	specs.ArchMIPS64:      C.SCMP_ARCH_MIPS64,
	specs.ArchMIPS64N32:   C.SCMP_ARCH_MIPS64N32,
	specs.ArchMIPSEL:      C.SCMP_ARCH_MIPSEL,
	specs.ArchMIPSEL64:    C.SCMP_ARCH_MIPSEL64,
	specs.ArchMIPSEL64N32: C.SCMP_ARCH_MIPSEL64N32,
	specs.ArchPPC:         C.SCMP_ARCH_PPC,
	specs.ArchPPC64:       C.SCMP_ARCH_PPC64,
	specs.ArchPPC64LE:     C.SCMP_ARCH_PPC64LE,
	specs.ArchS390:        C.SCMP_ARCH_S390,
	specs.ArchS390X:       C.SCMP_ARCH_S390X,
	specs.ArchPARISC:      C.SCMP_ARCH_PARISC,
	specs.ArchPARISC64:    C.SCMP_ARCH_PARISC64,
	specs.ArchRISCV64:     C.SCMP_ARCH_RISCV64,
}

func supportedArchs() []string { return sortedKeys(arches) }

// LibseccompVersion is "major.minor.micro" of the linked libseccomp, for
// the io.github.seccomp.libseccomp.version annotation of `xrt features`.
func LibseccompVersion() string {
	v := C.seccomp_version()
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.micro)
}

// filter is a libseccomp filter context. Call release when done.
type filter struct {
	ctx C.scmp_filter_ctx
}

func newFilter(defaultAction uint32) (*filter, error) {
	ctx := C.seccomp_init(C.uint32_t(defaultAction))
	if ctx == nil {
		return nil, fmt.Errorf("libseccomp rejected default action %#x (the kernel may not support it)", defaultAction)
	}
	return &filter{ctx: ctx}, nil
}

func (f *filter) release() { C.seccomp_release(f.ctx) }

func errnoOf(rc C.int) error {
	if rc >= 0 {
		return nil
	}
	return syscall.Errno(-rc)
}

// addArch adds an architecture; the native one is always present already.
// It reports false for an architecture of the other byte order, which
// libseccomp cannot put in the same filter (EDOM): no process on this
// kernel can make syscalls of that architecture, and the filter's
// bad-architecture action (kill) covers them anyway.
func (f *filter) addArch(token uint32) (bool, error) {
	err := errnoOf(C.seccomp_arch_add(f.ctx, C.uint32_t(token)))
	switch {
	case err == nil, errors.Is(err, syscall.EEXIST):
		return true, nil
	case errors.Is(err, syscall.EDOM):
		return false, nil
	}
	return false, err
}

// setAttr sets one SCMP_FLTATR_* attribute.
func (f *filter) setAttr(attr C.enum_scmp_filter_attr, v uint32) error {
	return errnoOf(C.seccomp_attr_set(f.ctx, attr, C.uint32_t(v)))
}

// resolve returns the syscall number of name for the native architecture
// (a negative pseudo number when it only exists on another architecture),
// or false when libseccomp does not know the name at all.
func resolve(name string) (int32, bool) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	nr := C.seccomp_syscall_resolve_name(cs)
	return int32(nr), nr != C.__NR_SCMP_ERROR
}

// addRule adds action for syscall nr when all conds hold, for every
// architecture of the filter.
func (f *filter) addRule(action uint32, nr int32, conds []cond) error {
	if len(conds) == 0 {
		return errnoOf(C.seccomp_rule_add_array(f.ctx, C.uint32_t(action), C.int(nr), 0, nil))
	}
	arr := make([]C.struct_scmp_arg_cmp, len(conds))
	for i, c := range conds {
		arr[i].arg = C.uint(c.Arg)
		arr[i].op = C.enum_scmp_compare(c.Op)
		arr[i].datum_a = C.scmp_datum_t(c.A)
		arr[i].datum_b = C.scmp_datum_t(c.B)
	}
	return errnoOf(C.seccomp_rule_add_array(f.ctx, C.uint32_t(action), C.int(nr), C.uint(len(arr)), &arr[0]))
}

// exportBPF returns the compiled filter as raw struct sock_filter entries.
// libseccomp only writes to an fd, so it goes through a memfd.
func (f *filter) exportBPF() ([]byte, error) {
	fd, err := unix.MemfdCreate("xrt-seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	mf := os.NewFile(uintptr(fd), "xrt-seccomp-bpf")
	defer mf.Close()
	if err := errnoOf(C.seccomp_export_bpf(f.ctx, C.int(fd))); err != nil {
		return nil, fmt.Errorf("seccomp_export_bpf: %w", err)
	}
	st, err := mf.Stat()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, st.Size())
	if _, err := mf.ReadAt(buf, 0); err != nil {
		return nil, fmt.Errorf("read exported filter: %w", err)
	}
	return buf, nil
}

// clearLoadAttrs turns off what seccomp_load would do besides loading: xrt
// never calls seccomp_load, but the exported filter must not depend on it.
// no_new_privs is set by xrt's init when the spec asks for it, and TSYNC
// comes from linux.seccomp.flags.
func (f *filter) clearLoadAttrs() error {
	if err := f.setAttr(C.SCMP_FLTATR_CTL_NNP, 0); err != nil {
		return fmt.Errorf("clear SCMP_FLTATR_CTL_NNP: %w", err)
	}
	if err := f.setAttr(C.SCMP_FLTATR_CTL_TSYNC, 0); err != nil {
		return fmt.Errorf("clear SCMP_FLTATR_CTL_TSYNC: %w", err)
	}
	return nil
}
