/*
 * The signal handler of package sigcatch: it writes the signal's number,
 * one byte, to a non-blocking pipe, which Go reads. write(2) is
 * async-signal-safe; errno is kept for the code the signal interrupted.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "catch.h"

static int catch_fd = -1;

static void catch_handler(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	/* A full pipe drops the signal: nobody is reading any more. */
	if (write(catch_fd, &b, 1) < 0) {
	}
	errno = saved;
}

int xrt_catch_signals(int fd, const int *sigs, int n)
{
	struct sigaction sa;
	int i;

	catch_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = catch_handler;
	/* As the Go runtime's own handlers: on the thread's signal stack (a
	 * goroutine's stack is too small for a C frame), system calls
	 * restarted. */
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < n; i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return 0;
}
