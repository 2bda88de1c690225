package seccomp

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func dockerDefault(t testing.TB) *specs.LinuxSeccomp {
	t.Helper()
	b, err := os.ReadFile("testdata/docker-default.json")
	if err != nil {
		t.Fatal(err)
	}
	var s specs.LinuxSeccomp
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func uintp(v uint) *uint { return &v }

// allowBut is a profile that allows everything except rules.
func allowBut(rules ...specs.LinuxSyscall) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rules}
}

func mustCompile(t *testing.T, s *specs.LinuxSeccomp) *Program {
	t.Helper()
	p, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// filterKs returns the K operands of the filter's instructions.
func filterKs(p *Program) map[uint32]bool {
	ks := map[uint32]bool{}
	for i := 0; i+8 <= len(p.Filter); i += 8 {
		ks[binary.NativeEndian.Uint32(p.Filter[i+4:])] = true
	}
	return ks
}

func TestCompileDockerDefault(t *testing.T) {
	s := dockerDefault(t)
	if n := len(s.Syscalls[0].Names); n < 300 {
		t.Fatalf("test profile has only %d names in its first rule", n)
	}
	p := mustCompile(t, s)
	if p.Len() == 0 || p.Len() > bpfMaxInsns || len(p.Filter)%8 != 0 {
		t.Fatalf("filter of %d bytes / %d instructions", len(p.Filter), p.Len())
	}
	// No flags field: SPEC_ALLOW, where the kernel has it (runc's default).
	wantFlags := uint(0)
	if flagSupported(unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW) {
		wantFlags = unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
	}
	if p.Notify || p.Flags != wantFlags {
		t.Errorf("Notify=%v Flags=%#x, want false, %#x", p.Notify, p.Flags, wantFlags)
	}
	s.Flags = []specs.LinuxSeccompFlag{}
	if p := mustCompile(t, s); p.Flags != 0 {
		t.Errorf("an empty flags list: Flags=%#x, want 0", p.Flags)
	}
	ks := filterKs(p)
	// The arch checks of the three architectures (x32 shares
	// AUDIT_ARCH_X86_64 and is told apart by __X32_SYSCALL_BIT), the
	// default action ERRNO(EPERM) and clone3's ERRNO(ENOSYS).
	for name, k := range map[string]uint32{
		"AUDIT_ARCH_X86_64":  unix.AUDIT_ARCH_X86_64,
		"AUDIT_ARCH_I386":    unix.AUDIT_ARCH_I386,
		"__X32_SYSCALL_BIT":  0x40000000,
		"ERRNO(EPERM)":       unix.SECCOMP_RET_ERRNO | 1,
		"ERRNO(ENOSYS)":      unix.SECCOMP_RET_ERRNO | 38,
		"CLONE_NS_MASK":      2114060288,
		"personality 0xffff": 0xffffffff,
	} {
		if !ks[k] {
			t.Errorf("filter has no instruction with K=%#x (%s)", k, name)
		}
	}
	// Only the native architecture: a smaller filter without the i386 check.
	s.Architectures = nil
	native := mustCompile(t, s)
	if native.Len() >= p.Len() || filterKs(native)[unix.AUDIT_ARCH_I386] {
		t.Errorf("native-only filter: %d instructions (3 archs: %d), i386 check %v", native.Len(), p.Len(), filterKs(native)[unix.AUDIT_ARCH_I386])
	}
}

func TestCompileNil(t *testing.T) {
	p, err := Compile(nil)
	if p != nil || err != nil {
		t.Fatalf("Compile(nil) = %v, %v", p, err)
	}
}

func TestCompileSkipsUnknownSyscalls(t *testing.T) {
	block := specs.LinuxSyscall{Names: []string{"mkdirat", "mkdir"}, Action: specs.ActErrno, ErrnoRet: uintp(42)}
	want := mustCompile(t, allowBut(block))
	block.Names = []string{"no_such_syscall", "mkdirat", "mkdir", "xrt_made_up"}
	got := mustCompile(t, allowBut(block))
	if !bytes.Equal(got.Filter, want.Filter) {
		t.Errorf("unknown names changed the filter (%d vs %d instructions)", got.Len(), want.Len())
	}
	// An entry of unknown names only compiles to the bare default.
	bare := mustCompile(t, allowBut())
	only := mustCompile(t, allowBut(specs.LinuxSyscall{Names: []string{"no_such_syscall"}, Action: specs.ActKill}))
	if !bytes.Equal(only.Filter, bare.Filter) {
		t.Errorf("entry of unknown names only: %d instructions, want %d", only.Len(), bare.Len())
	}
}

func TestCompileRuleSameAsDefault(t *testing.T) {
	// libseccomp refuses such a rule; it changes nothing, so Compile drops it.
	s := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: uintp(5),
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"getpid"}, Action: specs.ActAllow},
			{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintp(5)},
		},
	}
	with := mustCompile(t, s)
	s.Syscalls = s.Syscalls[:1]
	// The ENOSYS stub in front names the highest syscall listed, which
	// differs; what libseccomp made does not.
	stub := len(enosysStub(1, false))
	if without := mustCompile(t, s); !bytes.Equal(with.Filter[stub:], without.Filter[stub:]) {
		t.Error("a rule with the default action changed the filter")
	}
}

func TestENOSYSStub(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the stub is for x86_64")
	}
	if enosysStub(100, true) != nil || enosysStub(0, false) != nil {
		t.Error("a stub for a default action that allows, or for a profile naming no syscall")
	}
	insns, err := decodeFilter(enosysStub(334, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(insns) != 6 || insns[4].K != 334 || insns[5].K != unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS) {
		t.Errorf("stub %+v: want a jump above 334 to ERRNO(ENOSYS)", insns)
	}
	// Every jump lands inside the stub or on the first instruction after it.
	for i, in := range insns {
		if in.Code&0x07 == unix.BPF_JMP && (i+1+int(in.Jt) > len(insns) || i+1+int(in.Jf) > len(insns)) {
			t.Errorf("instruction %d jumps past the filter that follows: %+v", i, in)
		}
	}
}

func TestCompileProgramFields(t *testing.T) {
	s := allowBut(specs.LinuxSyscall{Names: []string{"getppid"}, Action: specs.ActNotify})
	s.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv, "SECCOMP_FILTER_FLAG_TSYNC"}
	s.ListenerPath = "/run/agent.sock"
	s.ListenerMetadata = "meta"
	p := mustCompile(t, s)
	wantFlags := uint(unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) // TSYNC dropped
	if p.Flags != wantFlags || !p.Notify || p.ListenerPath != s.ListenerPath || p.ListenerMetadata != "meta" {
		t.Errorf("program %+v", *p)
	}
	if !filterKs(p)[unix.SECCOMP_RET_USER_NOTIF] {
		t.Error("filter has no SECCOMP_RET_USER_NOTIF")
	}
	// Program travels as JSON.
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Program
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, p) {
		t.Errorf("JSON round trip changed the program")
	}
}

func TestCompileErrors(t *testing.T) {
	sc := func(names []string, a specs.LinuxSeccompAction, args ...specs.LinuxSeccompArg) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: names, Action: a, Args: args}
	}
	for _, tc := range []struct {
		name string
		s    *specs.LinuxSeccomp
		want string
	}{
		{"no default action", &specs.LinuxSeccomp{}, "defaultAction is required"},
		{"unknown default action", &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_MAYBE"}, `unknown seccomp action "SCMP_ACT_MAYBE"`},
		{"unknown action", allowBut(sc([]string{"getpid"}, "SCMP_ACT_EXPLODE")), `unknown seccomp action "SCMP_ACT_EXPLODE"`},
		{"unknown operator", allowBut(sc([]string{"getpid"}, specs.ActErrno, specs.LinuxSeccompArg{Op: "SCMP_CMP_ALMOST"})), `unknown seccomp operator "SCMP_CMP_ALMOST"`},
		{"arg index", allowBut(sc([]string{"getpid"}, specs.ActErrno, specs.LinuxSeccompArg{Index: 6, Op: specs.OpEqualTo})), "argument index 6 is out of range"},
		{"unknown flag", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_FAST"}}, `unknown seccomp flag "SECCOMP_FILTER_FLAG_FAST"`},
		{"unknown arch", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_Z80"}}, `architecture "SCMP_ARCH_Z80"`},
		{"arch libseccomp 2.5 lacks", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchM68K}}, `architecture "SCMP_ARCH_M68K"`},
		{"errnoRet on allow", allowBut(specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActKillProcess, ErrnoRet: uintp(3)}), "SCMP_ACT_KILL_PROCESS does not take an errnoRet"},
		{"defaultErrnoRet on allow", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, DefaultErrnoRet: uintp(3)}, "SCMP_ACT_ALLOW does not take an errnoRet"},
		{"errnoRet too big", allowBut(specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: uintp(70000)}), "errnoRet 70000 is above 65535"},
		{"empty names", allowBut(sc(nil, specs.ActErrno)), "syscalls[0]: names must contain at least one syscall"},
		{"metadata without path", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerMetadata: "x"}, "listenerMetadata is set but listenerPath is not"},
		{"notify without path", allowBut(sc([]string{"getppid"}, specs.ActNotify)), "listenerPath is not set"},
		{"notify on write", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/a", Syscalls: []specs.LinuxSyscall{sc([]string{"getppid", "write"}, specs.ActNotify)}}, "SCMP_ACT_NOTIFY cannot be used for the write syscall"},
		{"notify default without sendmsg", &specs.LinuxSeccomp{DefaultAction: specs.ActNotify, ListenerPath: "/a", Syscalls: []specs.LinuxSyscall{sc([]string{"write"}, specs.ActAllow)}}, "lets sendmsg through"},
		{"wait killable without notify", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}}, "WAIT_KILLABLE_RECV only applies to SCMP_ACT_NOTIFY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Compile = %v, %v; want error containing %q", p, err, tc.want)
			}
		})
	}
}

func TestCompileNotifyDefault(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActNotify,
		ListenerPath:  "/a",
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"write", "sendmsg"}, Action: specs.ActAllow},
		},
	}
	if p := mustCompile(t, s); !p.Notify {
		t.Error("defaultAction SCMP_ACT_NOTIFY did not set Notify")
	}
}

// Every action, operator and architecture that Features lists compiles.
func TestFeaturesCompile(t *testing.T) {
	acts, ops, archs, fls := Features()
	for _, want := range [][]string{acts, ops, archs, fls} {
		if len(want) == 0 {
			t.Fatal("Features returned an empty list")
		}
	}
	if len(acts) != 9 || len(ops) != 7 || len(fls) != 4 {
		t.Errorf("Features: %d actions, %d operators, %d flags; want 9, 7, 4", len(acts), len(ops), len(fls))
	}
	for _, a := range []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390X", "SCMP_ARCH_PPC64LE"} {
		if !contains(archs, a) {
			t.Errorf("Features archs lack %s: %v", a, archs)
		}
	}
	for _, a := range acts {
		r := specs.LinuxSyscall{Names: []string{"getppid"}, Action: specs.LinuxSeccompAction(a)}
		s := allowBut(r)
		s.ListenerPath = "/agent"
		mustCompile(t, s)
	}
	for _, op := range ops {
		mustCompile(t, allowBut(specs.LinuxSyscall{Names: []string{"getppid"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 1, Value: 3, ValueTwo: 1, Op: specs.LinuxSeccompOperator(op)}}}))
	}
	for _, a := range archs {
		mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.Arch(a)},
			Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "socketcall", "chown32"}, Action: specs.ActErrno}}})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func BenchmarkCompileDockerDefault(b *testing.B) {
	s := dockerDefault(b)
	for b.Loop() {
		if _, err := Compile(s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCompileSkipsForeignByteOrderArch(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the test is written for an x86_64 host")
	}
	s := allowBut(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno})
	s.Architectures = []specs.Arch{specs.ArchX86_64}
	want := mustCompile(t, s)
	s.Architectures = []specs.Arch{specs.ArchX86_64, specs.ArchS390X, specs.ArchPPC64}
	if got := mustCompile(t, s); !bytes.Equal(got.Filter, want.Filter) {
		t.Errorf("big-endian architectures changed an x86_64 filter")
	}
}
