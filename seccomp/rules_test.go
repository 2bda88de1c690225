package seccomp

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestConditionSets(t *testing.T) {
	eq := func(i uint, v uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: i, Value: v, Op: specs.OpEqualTo}
	}
	c := func(i uint, v uint64) cond { return cond{Arg: i, Op: 4, A: v} }
	for _, tc := range []struct {
		name string
		args []specs.LinuxSeccompArg
		want [][]cond
	}{
		{"no args", nil, [][]cond{nil}},
		{"different indexes are ANDed", []specs.LinuxSeccompArg{eq(0, 1), eq(2, 3)}, [][]cond{{c(0, 1), c(2, 3)}}},
		{"same index is ORed", []specs.LinuxSeccompArg{eq(0, 1), eq(0, 2)}, [][]cond{{c(0, 1)}, {c(0, 2)}}},
		{"mixed", []specs.LinuxSeccompArg{eq(0, 1), eq(1, 5), eq(0, 2), eq(1, 6)},
			[][]cond{{c(0, 1), c(1, 5)}, {c(0, 1), c(1, 6)}, {c(0, 2), c(1, 5)}, {c(0, 2), c(1, 6)}}},
		{"masked eq keeps both values", []specs.LinuxSeccompArg{{Index: 0, Value: 0xf0, ValueTwo: 0x10, Op: specs.OpMaskedEqual}},
			[][]cond{{{Arg: 0, Op: 7, A: 0xf0, B: 0x10}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := conditionSets(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	var many []specs.LinuxSeccompArg
	for i := uint(0); i < 6; i++ {
		for v := uint64(0); v < 3; v++ {
			many = append(many, eq(i, v))
		}
	}
	if _, err := conditionSets(many); err == nil {
		t.Error("3^6 combinations: want an error")
	}
}

func TestActionValue(t *testing.T) {
	for _, tc := range []struct {
		a     specs.LinuxSeccompAction
		errno *uint
		want  uint32
	}{
		{specs.ActAllow, nil, unix.SECCOMP_RET_ALLOW},
		{specs.ActKill, nil, unix.SECCOMP_RET_KILL_THREAD},
		{specs.ActKillThread, nil, unix.SECCOMP_RET_KILL_THREAD},
		{specs.ActKillProcess, nil, unix.SECCOMP_RET_KILL_PROCESS},
		{specs.ActTrap, nil, unix.SECCOMP_RET_TRAP},
		{specs.ActLog, nil, unix.SECCOMP_RET_LOG},
		{specs.ActNotify, nil, unix.SECCOMP_RET_USER_NOTIF},
		{specs.ActErrno, nil, unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{specs.ActErrno, uintp(42), unix.SECCOMP_RET_ERRNO | 42},
		{specs.ActTrace, nil, unix.SECCOMP_RET_TRACE | uint32(unix.EPERM)},
		{specs.ActTrace, uintp(7), unix.SECCOMP_RET_TRACE | 7},
	} {
		got, err := actionValue(tc.a, tc.errno)
		if err != nil || got != tc.want {
			t.Errorf("actionValue(%s) = %#x, %v; want %#x", tc.a, got, err, tc.want)
		}
	}
}
