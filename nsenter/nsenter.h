#ifndef XRT_NSENTER_H
#define XRT_NSENTER_H

// The path, in _XRT_NS, of a new namespace that the parent sends with "go"
// (SCM_RIGHTS), made while init starts; nsenter makes its own when none
// comes.
#define XRT_NS_WITH_GO "fd:go"

int xrt_restore_thp(void);

#endif
