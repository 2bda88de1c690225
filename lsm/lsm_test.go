package lsm

import (
	"runtime"
	"strings"
	"testing"
)

func TestCheckAppArmor(t *testing.T) {
	err := Check("xrt-test-profile", "")
	if AppArmorEnabled() {
		if err != nil {
			t.Fatalf("Check with AppArmor on: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "AppArmor is not enabled") {
		t.Fatalf("Check without AppArmor: err %v, want a clear error", err)
	}
	if err := ApplyOnExec("xrt-test-profile", ""); err == nil {
		t.Fatal("ApplyOnExec without AppArmor succeeded")
	}
}

func TestNothingAsked(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := ApplyOnExec("", ""); err != nil {
		t.Fatal(err)
	}
}

func TestSELinuxLabelIgnoredWhenOff(t *testing.T) {
	if SELinuxEnabled() {
		t.Skip("SELinux is on: the label would really be applied")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := ApplyOnExec("", "system_u:system_r:container_t:s0:c1,c2"); err != nil {
		t.Fatalf("an SELinux label with SELinux off: %v", err)
	}
}

func TestOpenThreadSelf(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// attr/current exists whatever the LSMs; opening it for writing
	// proves the verified procfs path works on this kernel.
	f, err := openThreadSelf("attr/current")
	if err != nil {
		t.Fatalf("open /proc/thread-self/attr/current: %v", err)
	}
	f.Close()
}
