package bundle

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestCapabilityNumber(t *testing.T) {
	if len(CapabilityNames) != 41 {
		t.Fatalf("%d capabilities, want 41 (0..40)", len(CapabilityNames))
	}
	for i, name := range CapabilityNames {
		if n, ok := CapabilityNumber(name); !ok || n != i {
			t.Errorf("CapabilityNumber(%q) = %d, %v; want %d", name, n, ok, i)
		}
	}
	for name, want := range map[string]int{"CAP_CHOWN": 0, "CAP_SYS_ADMIN": 21, "CAP_SETFCAP": 31, "CAP_CHECKPOINT_RESTORE": 40} {
		if n, _ := CapabilityNumber(name); n != want {
			t.Errorf("CapabilityNumber(%q) = %d, want %d", name, n, want)
		}
	}
	for _, bad := range []string{"", "CAP_FOO", "cap_chown", "CHOWN"} {
		if _, ok := CapabilityNumber(bad); ok {
			t.Errorf("CapabilityNumber(%q) is known", bad)
		}
	}
}

func TestRlimitNumber(t *testing.T) {
	for name, want := range map[string]int{
		"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE,
		"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
	} {
		if n, ok := RlimitNumber(name); !ok || n != want {
			t.Errorf("RlimitNumber(%q) = %d, %v; want %d", name, n, ok, want)
		}
	}
	if _, ok := RlimitNumber("RLIMIT_FOO"); ok {
		t.Error("RLIMIT_FOO is known")
	}
	seen := map[int]bool{}
	for _, r := range rlimits {
		if seen[r.num] {
			t.Errorf("%s repeats number %d", r.name, r.num)
		}
		seen[r.num] = true
	}
	if len(seen) != 16 {
		t.Errorf("%d rlimits, want 16", len(seen))
	}
}
