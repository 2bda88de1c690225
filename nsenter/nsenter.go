// Package nsenter is the C half of `xrt init`: a constructor that runs before
// the Go runtime starts, while the process is still single-threaded, and puts
// it into the container's namespaces. Joining a user or mount namespace and
// entering a new PID namespace are impossible from a multi-threaded Go
// process, which is why this part is C.
//
// The constructor does nothing unless the parent set _XRT_SYNC_FD, so every
// other xrt command pays nothing for it. Its protocol with the parent is
// described in nsenter.c; the message types live in package handshake.
package nsenter

// #cgo CFLAGS: -Wall -Wextra -O2
// #include "nsenter.h"
import "C"

// RestoreTHP gives the process back the transparent huge page setting of
// the caller that started `xrt init` (the constructor held THP off while the
// Go runtime set up its heap). init calls it before the container's process.
// It says whether it changed anything.
func RestoreTHP() bool { return C.xrt_restore_thp() == 1 }

// Environment variables the parent sets for `xrt init`.
const (
	EnvSync   = C.XRT_SYNC_ENV // fd of the SOCK_SEQPACKET socket to the parent
	EnvNS     = "_XRT_NS"      // comma list: "pid,mount" to create, "network=/path" to join
	EnvTimeNS = "_XRT_TIMENS"  // lines for /proc/self/timens_offsets
	EnvDebug  = "_XRT_DEBUG"   // set with --debug: init sends debug lines to the parent's log
	// EnvHostMntNS is the caller's mount namespace when init is born in a
	// private one (the seal's): init returns to it when the container has
	// no mount namespace of its own.
	EnvHostMntNS = "_XRT_MNTNS_FD"
)

// NSWithGo, as the path of a namespace in EnvNS, is a new namespace the
// parent made while init started and sends with the "go" message; init
// makes its own when none comes.
const NSWithGo = C.XRT_NS_WITH_GO
