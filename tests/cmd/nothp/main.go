// Command nothp runs a command with transparent huge pages turned off for
// it (prctl PR_SET_THP_DISABLE, which outlives execve), as a service with
// THP off would start a runtime: the tests check that the container gets
// the caller's setting.
//
//	nothp CMD [ARG...]
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: nothp CMD [ARG...]")
		os.Exit(2)
	}
	if err := unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "nothp: prctl PR_SET_THP_DISABLE:", err)
		os.Exit(1)
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "nothp:", err)
		os.Exit(127)
	}
	err = syscall.Exec(path, os.Args[1:], os.Environ())
	fmt.Fprintln(os.Stderr, "nothp: exec:", err)
	os.Exit(126)
}
