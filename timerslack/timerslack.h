#ifndef XRT_TIMERSLACK_H
#define XRT_TIMERSLACK_H

// The slack of the Go runtime's sysmon thread, in ns.
#define XRT_TIMERSLACK_NS 1000000L

// Set in the environment of the processes xrt re-executes itself as to
// enter a container's namespaces (nsenter.EnvSync): `xrt init` and the
// process `xrt exec` starts. They leave their threads' slack alone.
#define XRT_TIMERSLACK_CHILD_ENV "_XRT_SYNC_FD"

// The process's slack at start, or -1 when the constructor left the
// threads' slack alone.
extern long xrt_timerslack_caller;

#endif
