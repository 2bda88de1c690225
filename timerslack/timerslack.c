#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "nsenter.h"
#include "timerslack.h"

long xrt_timerslack_caller = -1;

__attribute__((constructor(101))) static void xrt_timerslack(void)
{
	// xrt init and exec's process: their slack is the container's.
	if (getenv(XRT_SYNC_ENV))
		return;
	// 0: a real-time caller, whose threads have none.
	int caller = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (caller > 0 && caller < XRT_TIMERSLACK_NS)
		xrt_timerslack_caller = caller;
}

int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

// With cgo, every thread of the process starts here (linked with
// --wrap=pthread_create), and the first is the Go runtime's sysmon:
// runtime.main starts it before anything else, while the process has one
// thread. A new thread inherits its creator's slack, so each is made with
// the slack it should have, whichever thread makes it (sysmon makes some).
int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	static int made;
	if (xrt_timerslack_caller < 0)
		return __real_pthread_create(thread, attr, fn, arg);
	long want = __atomic_exchange_n(&made, 1, __ATOMIC_RELAXED) ? xrt_timerslack_caller : XRT_TIMERSLACK_NS;
	int had = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (had == want)
		return __real_pthread_create(thread, attr, fn, arg);
	prctl(PR_SET_TIMERSLACK, want, 0, 0, 0);
	int err = __real_pthread_create(thread, attr, fn, arg);
	prctl(PR_SET_TIMERSLACK, had, 0, 0, 0);
	return err;
}
