// Package arenaprobe lets cruntime's test see glibc's malloc arenas: how
// many the process has, after C threads malloc. Only tests import it, so
// the xrt binary carries none of it.
package arenaprobe

// #cgo CFLAGS: -Wall -Wextra -O2
// #include "probe.h"
import "C"

import "syscall"

// Arenas says how many malloc arenas the process has made (malloc_info),
// -1 if it cannot tell.
func Arenas() int { return int(C.xrt_arenas()) }

// MallocOnThread mallocs and frees on a new C thread, as the Go runtime's
// cgo threads do when they start another.
func MallocOnThread() error {
	if rc := C.xrt_malloc_on_thread(); rc != 0 {
		return syscall.Errno(rc)
	}
	return nil
}
