package kernel

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCheck(t *testing.T) {
	if err := Openat2.Check(nil); err != nil {
		t.Fatalf("Check(nil) = %v", err)
	}
	if err := Openat2.Check(unix.ENOENT); err != unix.ENOENT {
		t.Fatalf("Check(ENOENT) = %v, want it unchanged", err)
	}
	err := Openat2.Check(fmt.Errorf("open /x: %w", unix.ENOSYS))
	var me *MissingError
	if !errors.As(err, &me) || !errors.Is(err, unix.ENOSYS) {
		t.Fatalf("Check(ENOSYS) = %#v", err)
	}
	for _, want := range []string{"has no openat2", "needs Linux 5.6 or later", Release()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}
