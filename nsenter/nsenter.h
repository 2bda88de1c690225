#ifndef XRT_NSENTER_H
#define XRT_NSENTER_H

// The path, in _XRT_NS, of a new namespace that the parent sends with "go"
// (SCM_RIGHTS), made while init starts; nsenter makes its own when none
// comes.
#define XRT_NS_WITH_GO "fd:go"

// The environment variable that holds the fd of init's socket to the
// parent (nsenter.EnvSync): set, the process is `xrt init` or the process
// `xrt exec` starts, and every constructor of xrt's C code knows it.
#define XRT_SYNC_ENV "_XRT_SYNC_FD"

int xrt_restore_thp(void);

#endif
