package seccomp

import (
	"os"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func sys(nr uintptr, args ...uintptr) call {
	c := call{Nr: nr}
	copy(c.Args[:], args)
	return c
}

func sysPath(nr uintptr, pathArg int, path string, args ...uintptr) call {
	c := sys(nr, args...)
	c.StrArg, c.Str = pathArg, path
	return c
}

// loadAndCall compiles s, runs calls in a child under the filter and
// returns their errnos; the child must exit normally.
func loadAndCall(t *testing.T, s *specs.LinuxSeccomp, calls ...call) []callResult {
	t.Helper()
	res, st, stderr := runChild(t, childSpec{Program: mustCompile(t, s), Calls: calls})
	if !st.Exited() || st.ExitStatus() != 0 {
		t.Fatalf("child: %v; stderr:\n%s", st, stderr)
	}
	if res.LoadErr != "" || res.TimedOut || len(res.Results) != len(calls) {
		t.Fatalf("child: %+v", res)
	}
	return res.Results
}

func errnos(rs []callResult) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Errno
	}
	return out
}

func TestLoadErrno(t *testing.T) {
	s := allowBut(
		specs.LinuxSyscall{Names: []string{"mkdirat", "mkdir"}, Action: specs.ActErrno, ErrnoRet: uintp(42)},
		specs.LinuxSyscall{Names: []string{"rmdir", "unlinkat"}, Action: specs.ActErrno}, // EPERM
	)
	got := errnos(loadAndCall(t, s,
		sysPath(unix.SYS_MKDIRAT, 1, "made-by-child", ^uintptr(99) /* AT_FDCWD */, 0, 0o755),
		sysPath(unix.SYS_MKDIR, 0, "made-by-child", 0, 0o755),
		sysPath(unix.SYS_UNLINKAT, 1, "nothing-here", ^uintptr(99), 0, unix.AT_REMOVEDIR),
		sys(unix.SYS_GETPID),
		sysPath(unix.SYS_CHDIR, 0, "/"),
	))
	want := []int{42, 42, int(unix.EPERM), 0, 0}
	if !equalInts(got, want) {
		t.Errorf("errnos %v, want %v (mkdirat, mkdir, unlinkat, getpid, chdir)", got, want)
	}
}

// Docker's default profile, resolved for x86_64 with default capabilities.
func TestLoadDockerDefault(t *testing.T) {
	s := dockerDefault(t)
	s.DefaultErrnoRet = uintp(77) // tell the default action from explicit EPERMs
	calls := []call{
		sys(unix.SYS_GETPID),
		sys(unix.SYS_UNSHARE, unix.CLONE_NEWNS),
		sys(unix.SYS_CLONE3, 0, 0),
		sys(unix.SYS_PERSONALITY, 0xffffffff),
		sys(unix.SYS_PERSONALITY, 0x0040000), // ADDR_NO_RANDOMIZE
		sys(unix.SYS_SOCKET, unix.AF_VSOCK, unix.SOCK_STREAM, 0),
		sys(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0),
		sys(unix.SYS_MOUNT, 0, 0, 0, 0, 0),
		sys(unix.SYS_KEYCTL, 0),
		sysPath(unix.SYS_CHROOT, 0, "/nonexistent-xrt"),
	}
	want := []int{0, 77, int(unix.ENOSYS), 0, 77, 77, 0, 77, 77, int(unix.ENOENT)}
	if got := errnos(loadAndCall(t, s, calls...)); !equalInts(got, want) {
		t.Errorf("errnos %v\nwant   %v\n(getpid, unshare, clone3, personality(0xffffffff), personality(ADDR_NO_RANDOMIZE), socket(AF_VSOCK), socket(AF_UNIX), mount, keyctl, chroot)", got, want)
	}
}

// Each operator against getpgid's pid argument: ERRNO 99 when it matches.
func TestLoadOperators(t *testing.T) {
	const hit = 99
	vals := []uintptr{5, 10, 15, 0x15, 0x1f, 0x25}
	for _, tc := range []struct {
		op    specs.LinuxSeccompOperator
		v, v2 uint64
		match func(x uint64) bool
	}{
		{specs.OpEqualTo, 10, 0, func(x uint64) bool { return x == 10 }},
		{specs.OpNotEqual, 10, 0, func(x uint64) bool { return x != 10 }},
		{specs.OpLessThan, 10, 0, func(x uint64) bool { return x < 10 }},
		{specs.OpLessEqual, 10, 0, func(x uint64) bool { return x <= 10 }},
		{specs.OpGreaterThan, 10, 0, func(x uint64) bool { return x > 10 }},
		{specs.OpGreaterEqual, 10, 0, func(x uint64) bool { return x >= 10 }},
		{specs.OpMaskedEqual, 0xf0, 0x10, func(x uint64) bool { return x&0xf0 == 0x10 }},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			s := allowBut(specs.LinuxSyscall{Names: []string{"getpgid"}, Action: specs.ActErrno, ErrnoRet: uintp(hit),
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: tc.v, ValueTwo: tc.v2, Op: tc.op}}})
			var calls []call
			for _, v := range vals {
				calls = append(calls, sys(unix.SYS_GETPGID, v))
			}
			for i, r := range loadAndCall(t, s, calls...) {
				if m := tc.match(uint64(vals[i])); m != (r.Errno == hit) {
					t.Errorf("getpgid(%#x): errno %d, want match=%v", vals[i], r.Errno, m)
				}
			}
		})
	}
}

// The spec's OR for comparisons on one index, AND across indexes.
func TestLoadSameIndexIsOr(t *testing.T) {
	const hit = 99
	s := allowBut(specs.LinuxSyscall{Names: []string{"getpriority"}, Action: specs.ActErrno, ErrnoRet: uintp(hit),
		Args: []specs.LinuxSeccompArg{
			{Index: 1, Value: 12345, Op: specs.OpEqualTo},
			{Index: 0, Value: unix.PRIO_PGRP, Op: specs.OpEqualTo},
			{Index: 1, Value: 23456, Op: specs.OpEqualTo},
		}})
	cases := []struct {
		which, who uintptr
		match      bool
	}{
		{unix.PRIO_PGRP, 12345, true},
		{unix.PRIO_PGRP, 23456, true},
		{unix.PRIO_PROCESS, 12345, false},
		{unix.PRIO_PGRP, 1, false},
		{unix.PRIO_PROCESS, 0, false},
	}
	var calls []call
	for _, c := range cases {
		calls = append(calls, sys(unix.SYS_GETPRIORITY, c.which, c.who))
	}
	for i, r := range loadAndCall(t, s, calls...) {
		if (r.Errno == hit) != cases[i].match {
			t.Errorf("getpriority(%d, %d): errno %d, want match=%v", cases[i].which, cases[i].who, r.Errno, cases[i].match)
		}
	}
}

func getppidRule(a specs.LinuxSeccompAction) *specs.LinuxSeccomp {
	return allowBut(specs.LinuxSyscall{Names: []string{"getppid"}, Action: a})
}

func TestLoadKillProcess(t *testing.T) {
	res, st, stderr := runChild(t, childSpec{Program: mustCompile(t, getppidRule(specs.ActKillProcess)), Calls: []call{sys(unix.SYS_GETPPID)}})
	if !st.Signaled() || st.Signal() != syscall.SIGSYS {
		t.Fatalf("child: %v, want killed by SIGSYS; report %+v; stderr:\n%s", st, res, stderr)
	}
}

func TestLoadKillThread(t *testing.T) {
	for _, a := range []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillThread} {
		// The victim thread dies without a word; the process lives on.
		res, st, stderr := runChild(t, childSpec{Program: mustCompile(t, getppidRule(a)), Calls: []call{sys(unix.SYS_GETPPID)}, Wait: 500 * 1e6})
		if !st.Exited() || st.ExitStatus() != 0 || !res.TimedOut || res.LoadErr != "" {
			t.Errorf("%s: child %v, report %+v, want a timed-out report; stderr:\n%s", a, st, res, stderr)
		}
	}
}

func TestLoadTrap(t *testing.T) {
	// TRAP raises SIGSYS with si_code SYS_SECCOMP (1); the Go runtime of the
	// child reports it and dies with exit status 2.
	_, st, stderr := runChild(t, childSpec{Program: mustCompile(t, getppidRule(specs.ActTrap)), Calls: []call{sys(unix.SYS_GETPPID)}})
	if !st.Exited() || st.ExitStatus() != 2 || !strings.Contains(stderr, "SIGSYS") || !strings.Contains(stderr, "sigcode=1") {
		t.Fatalf("child: %v, want a Go crash on SIGSYS with sigcode=1; stderr:\n%.2000s", st, stderr)
	}
}

func TestLoadLogAndTrace(t *testing.T) {
	// LOG lets the call through (the kernel logs it).
	if got := loadAndCall(t, getppidRule(specs.ActLog), sys(unix.SYS_GETPPID)); got[0].Errno != 0 || int(got[0].R) != os.Getpid() {
		t.Errorf("getppid under LOG = %d, errno %d; want %d", got[0].R, got[0].Errno, os.Getpid())
	}
	// TRACE without a tracer fails the call with ENOSYS.
	if got := loadAndCall(t, getppidRule(specs.ActTrace), sys(unix.SYS_GETPPID)); got[0].Errno != int(unix.ENOSYS) {
		t.Errorf("getppid under TRACE without tracer: errno %d, want ENOSYS", got[0].Errno)
	}
}

func TestLoadFlags(t *testing.T) {
	s := allowBut(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintp(42)})
	mkdir := sysPath(unix.SYS_MKDIR, 0, "made-by-child", 0o755)
	for _, tc := range []struct {
		flags      []specs.LinuxSeccompFlag
		otherErrno int // on a thread that existed before Load
	}{
		{nil, 0},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow}, 0},
		// TSYNC is dropped at compile time: init's other threads end at
		// execve anyway (runc ignores it too).
		{[]specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"}, 0},
	} {
		s.Flags = tc.flags
		res, st, stderr := runChild(t, childSpec{Program: mustCompile(t, s), Calls: []call{mkdir}, OtherCalls: []call{mkdir}})
		if !st.Exited() || st.ExitStatus() != 0 || res.LoadErr != "" || len(res.Other) != 1 {
			t.Fatalf("flags %v: child %v, report %+v; stderr:\n%s", tc.flags, st, res, stderr)
		}
		if res.Results[0].Errno != 42 || res.Other[0].Errno != tc.otherErrno {
			t.Errorf("flags %v: mkdir errno %d on the loading thread, %d on another; want 42, %d", tc.flags, res.Results[0].Errno, res.Other[0].Errno, tc.otherErrno)
		}
	}
}

func TestLoadNeedsNoNewPrivsOrSysAdmin(t *testing.T) {
	p := mustCompile(t, getppidRule(specs.ActErrno))
	res, _, stderr := runChild(t, childSpec{Program: p, NoNNP: true, DropSysAdmin: true})
	if !strings.Contains(res.LoadErr, "no_new_privs") || !strings.Contains(res.LoadErr, "permission denied") {
		t.Errorf("Load without no_new_privs and CAP_SYS_ADMIN: %q, want a permission error naming no_new_privs; stderr:\n%s", res.LoadErr, stderr)
	}
	if os.Geteuid() == 0 {
		// With CAP_SYS_ADMIN, no_new_privs is not needed.
		res, _, _ = runChild(t, childSpec{Program: p, NoNNP: true, Calls: []call{sys(unix.SYS_GETPPID)}})
		if res.LoadErr != "" || len(res.Results) != 1 || res.Results[0].Errno != int(unix.EPERM) {
			t.Errorf("Load with CAP_SYS_ADMIN: %+v", res)
		}
	}
}

// Load's own checks, which fail before any seccomp(2) call.
func TestLoadRejects(t *testing.T) {
	if fd, err := Load(nil); fd != -1 || err != nil {
		t.Errorf("Load(nil) = %d, %v", fd, err)
	}
	for name, p := range map[string]*Program{
		"empty":         {},
		"odd length":    {Filter: make([]byte, 12)},
		"too long":      {Filter: make([]byte, 8*(bpfMaxInsns+1))},
		"unknown flags": {Filter: make([]byte, 8), Flags: 1 << 20},
	} {
		if fd, err := Load(p); err == nil || fd != -1 {
			t.Errorf("%s: Load = %d, %v; want an error", name, fd, err)
		}
	}
}

func TestSupportedFlags(t *testing.T) {
	// Linux 5.19 has them all; older kernels lack some.
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	got := SupportedFlags()
	_, _, _, known := Features()
	if len(got) > len(known) {
		t.Fatalf("SupportedFlags %v is more than the known %v", got, known)
	}
	if !flagSupported(unix.SECCOMP_FILTER_FLAG_TSYNC) || flagSupported(1<<20) {
		t.Error("flagSupported: TSYNC unsupported or bit 20 supported")
	}
	t.Logf("kernel %s: %v", unix.ByteSliceToString(uts.Release[:]), got)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
