// The plan: what the fast init applies to itself, as create's Go side
// computed it (plan.go writes it, plan.c reads it). A sequence of records,
// each a tag byte, a 4-byte length in native byte order, and the payload;
// integers in payloads are native too (both ends are this binary). An empty
// 'Z' record ends it: a plan cut short is refused.
#ifndef XRT_FASTINIT_PLAN_H
#define XRT_FASTINIT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define XRT_PLAN_MAX_RLIMITS 32

struct xrt_rlimit {
	uint32_t resource;
	uint64_t soft, hard;
};

struct xrt_plan {
	char *path;          // 'p': the program, resolved
	char **argv;         // 'a': one record each
	char **envp;         // 'e': one record each
	char *cwd;           // 'c'
	uint32_t uid, gid;   // 'u': uid, gid, then the additional gids
	uint32_t *gids;
	int ngids;
	uint64_t bounding, effective, permitted, inheritable, ambient; // 'k'
	int last_cap;        // 'L'
	struct xrt_rlimit rlimits[XRT_PLAN_MAX_RLIMITS]; // 'r': one record each
	int nrlimits;
	char *oom_score_adj; // 'o': decimal text; NULL: leave it
	int no_new_privs;    // 'n'
	uint32_t umask;      // 'm'
	char *filter;        // 's': seccomp flags (4 bytes), then the BPF program
	size_t filter_len;
	uint32_t seccomp_flags;
	char *keyring;       // 'K': the session keyring to join; NULL: none
	int new_cgroupns;    // 'C'
	int preserve_fds;    // 'f'
};

// xrt_plan_parse fills p from buf (len bytes, which it may modify and
// keeps pointers into). Nonzero: malformed.
int xrt_plan_parse(char *buf, size_t len, struct xrt_plan *p);

#endif
