#ifndef XRT_SIGCATCH_H
#define XRT_SIGCATCH_H

/* Install catch.c's handler for each of sigs[0..n); every signal caught is
 * then one byte, its number, written to fd. 0, or -errno. */
int xrt_catch_signals(int fd, const int *sigs, int n);

#endif
