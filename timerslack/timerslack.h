#ifndef XRT_TIMERSLACK_H
#define XRT_TIMERSLACK_H

// The slack of the Go runtime's sysmon thread, in ns.
#define XRT_TIMERSLACK_NS 1000000L

// The process's slack at start, or -1 when the constructor left the
// threads' slack alone.
extern long xrt_timerslack_caller;

#endif
