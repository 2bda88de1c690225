// The fastdel record that create writes for a plain container
// (container/fastdel.go) and the fast path of delete reads.
#ifndef XRT_FASTDEL_H
#define XRT_FASTDEL_H

#include "defaults.h"

struct xrt_fastdel {
	long long pid;
	unsigned long long start;
	const char *procs, *kill, *freezer; // NULL when absent
	const char *dirs[XRT_FASTDEL_MAX_DIRS];
	int ndirs;
};

// xrt_fastdel_parse reads the record in buf (len bytes, NUL-terminated at
// buf[len]), in place: the fields point into buf. 0 when it is a whole,
// well-formed record; -1 otherwise.
int xrt_fastdel_parse(char *buf, size_t len, struct xrt_fastdel *r);

// xrt_fastdel_extract copies the record in state.json (json, len bytes),
// the strings of its "fastdel" array, into out (size bytes) as lines,
// NUL-terminated. Its length, or -1 when there is no such array, or it is
// not as create writes it (an escape, an empty string list, too long).
int xrt_fastdel_extract(const char *json, size_t len, char *out, size_t size);

// xrt_fastdelete deletes the container in state directory dir (force:
// delete --force) and returns 1 when it did it all, or returns 0 having
// changed nothing that the Go side's delete cannot finish (it then runs
// the whole command, and reports).
int xrt_fastdelete(const char *dir, int force);

#endif
