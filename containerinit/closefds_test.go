package containerinit

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The fallback of kernels before 5.11 (no CLOSE_RANGE_CLOEXEC), and the
// path this kernel takes: both leave fds from lo up close-on-exec and the
// ones below alone.
func TestCloseOnExec(t *testing.T) {
	for name, f := range map[string]func(int) error{"fallback": cloexecEach, "auto": closeOnExecFrom} {
		t.Run(name, func(t *testing.T) {
			low, err := unix.Dup(2)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(low)
			high, err := unix.Dup(2)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(high)
			if high < low {
				low, high = high, low
			}
			for _, fd := range []int{low, high} {
				if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := f(high); err != nil {
				t.Fatal(err)
			}
			if fl, _ := unix.FcntlInt(uintptr(high), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
				t.Errorf("fd %d (>= lo) is not close-on-exec", high)
			}
			if fl, _ := unix.FcntlInt(uintptr(low), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC != 0 {
				t.Errorf("fd %d (< lo) became close-on-exec", low)
			}
		})
	}
}
