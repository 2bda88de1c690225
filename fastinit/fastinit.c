// The fast `xrt init`: the init of a plain container, in C, without the Go
// runtime. It runs as a constructor after nsenter's (a lower priority
// number runs first), in the container's namespaces, only when the parent
// set _XRT_FASTINIT; create's own thread makes the root filesystem from
// outside (containerinit.SetupFor), so what is left here is the process:
//
//  1. open a procfs context in the container's PID namespace and send it
//     at once: the parent builds the root with it (mounting /proc) while
//     this process goes on;
//  2. wait for "state" from the parent, join the cgroup, take every CPU,
//     then read the plan (plan.go) from the config pipe, which the parent
//     writes once the root is made;
//  3. apply the plan in containerinit's order (process.go): session,
//     keyring, cgroup namespace, fds, rlimits, oom_score_adj, seccomp
//     before the drops without no_new_privs, bounding set, cwd, user,
//     capabilities, no_new_privs, umask, seccomp last with it;
//  4. "ready", wait on exec.fifo for start, execve.
//
// A failure before "ready" is sent as {"type":"failed"} with the step and
// errno; the parent words it as the Go init does (containerinit.StepError).
// After "ready" the parent is gone: the container's stderr gets the line.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsenter.h"

#include "plan.h"

#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1

// nsenter's (nsenter.c): weak, so that this package links on its own.
int xrt_restore_thp(void) __attribute__((weak));

static int syncfd = -1;

static void send_msg(const char *json, int fd)
{
	struct iovec iov = {(void *)json, strlen(json)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	char cbuf[CMSG_SPACE(sizeof(int))];
	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(syncfd, &mh, MSG_NOSIGNAL) < 0)
		_exit(1);
}

// fail reports a failed step with errno, and exits.
static void fail(const char *step, int index) __attribute__((noreturn));
static void fail(const char *step, int index)
{
	char json[160];
	snprintf(json, sizeof(json), "{\"type\":\"failed\",\"step\":\"%s\",\"index\":%d,\"errno\":%d}", step, index, errno);
	send_msg(json, -1);
	_exit(1);
}

// debug has the parent log msg with --debug; the words are the Go init's,
// which runc's suite looks for.
static void debug(const char *msg)
{
	if (!getenv("_XRT_DEBUG"))
		return;
	char json[256];
	snprintf(json, sizeof(json), "{\"type\":\"log\",\"level\":\"debug\",\"message\":\"%s\"}", msg);
	send_msg(json, -1);
}

// die is a failure after "ready": the container's stderr is the only place
// left, in the Go init's words (Go's error strings are glibc's, lowercased).
static void die(const char *what, const char *arg) __attribute__((noreturn));
static void die(const char *what, const char *arg)
{
	char err[256];
	snprintf(err, sizeof(err), "%s", strerror(errno));
	if (err[0] >= 'A' && err[0] <= 'Z' && !(err[1] >= 'A' && err[1] <= 'Z'))
		err[0] += 'a' - 'A';
	dprintf(2, "%s%s: %s\n", what, arg, err);
	_exit(1);
}

static void expect_state(void)
{
	char buf[256];
	// The state message is only the cue: its contents are for hooks and
	// seccomp agents, which a fast init never has.
	ssize_t n = recv(syncfd, buf, sizeof(buf) - 1, MSG_TRUNC);
	if (n <= 0)
		_exit(1);
	buf[n < (ssize_t)sizeof(buf) ? n : (ssize_t)sizeof(buf) - 1] = 0;
	if (!strstr(buf, "\"type\":\"state\"")) {
		errno = EPROTO;
		fail("state", 0);
	}
}

static void join_cgroup(void)
{
	const char *list = getenv("_XRT_CGROUP_FDS");
	const char *below = getenv("_XRT_CGROUP_TASKS");
	if (below && *below) {
		// "FD:PATH" lines: the file PATH below the hierarchy at FD.
		char *copy = strdup(below), *save = NULL;
		for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *rel = strchr(line, ':');
			if (!rel)
				fail("cgroup", 0);
			*rel++ = 0;
			int root = atoi(line);
			int fd = openat(root, rel, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, "0", 1) != 1)
				fail("cgroup", 0);
			close(fd);
			close(root);
		}
		free(copy);
	} else if (list && *list) {
		char *copy = strdup(list), *save = NULL;
		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int fd = atoi(tok);
			if (write(fd, "0", 1) != 1)
				fail("cgroup", 0);
			close(fd);
		}
		free(copy);
	}
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	if (sched_setaffinity(0, sizeof(all), &all) < 0)
		fail("affinity", 0);
}

static void send_procfs(void)
{
	int fd = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
	if (fd < 0)
		fail("procfs", 0);
	send_msg("{\"type\":\"procfs\"}", fd);
	close(fd);
}

static char *read_all(int fd, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (n == cap && !(buf = realloc(buf, cap *= 2)))
			_exit(1);
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail("plan", 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

static void set_user(const struct xrt_plan *p)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail("keepcaps", 0);
	if (syscall(SYS_setgroups, p->ngids, p->gids) < 0 && (p->ngids > 0 || errno != EPERM))
		fail("setgroups", 0);
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
		fail("setgid", 0);
	if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		fail("setuid", 0);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail("clearkeepcaps", 0);
}

static void apply_caps(const struct xrt_plan *p)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {
		{(uint32_t)p->effective, (uint32_t)p->permitted, (uint32_t)p->inheritable},
		{(uint32_t)(p->effective >> 32), (uint32_t)(p->permitted >> 32), (uint32_t)(p->inheritable >> 32)},
	};
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("capset", 0);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail("ambient", 0);
	for (int c = 0; c < 64; c++) {
		if (!(p->ambient & (1ULL << c)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
			char json[160];
			snprintf(json, sizeof(json), "{\"type\":\"raisefailed\",\"index\":%d,\"errno\":%d}", c, errno);
			send_msg(json, -1);
		}
	}
}

static void load_seccomp(const struct xrt_plan *p)
{
	struct sock_fprog prog = {(unsigned short)(p->filter_len / sizeof(struct sock_filter)), (struct sock_filter *)p->filter};
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog);
	if (r < 0)
		fail("seccomp", 0);
	if (r > 0) { // TSYNC: a thread could not take it; there is none here
		errno = ESRCH;
		fail("seccomp", (int)r);
	}
}

// chdir_cwd enters the working directory and refuses one outside the root
// (an fd-relative path such as /proc/self/fd/N, CVE-2024-21626).
static int chdir_cwd(const char *cwd)
{
	if (chdir(cwd) < 0)
		return -1;
	char buf[4096];
	long n = syscall(SYS_getcwd, buf, sizeof(buf));
	if (n < 0 || buf[0] != '/') {
		errno = 0;
		fail("cwdoutside", 0);
	}
	return 0;
}

static void apply(const struct xrt_plan *p)
{
	if (setsid() < 0)
		fail("setsid", 0);
	if (p->keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->keyring) < 0 && errno != ENOSYS)
		fail("keyring", 0);
	if (p->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		fail("cgroupns", 0);
	if (syscall(SYS_close_range, 3 + p->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail("closefds", 0);
	for (int i = 0; i < p->nrlimits; i++) {
		struct rlimit rl = {p->rlimits[i].soft, p->rlimits[i].hard};
		if (prlimit(0, p->rlimits[i].resource, &rl, NULL) < 0)
			fail("rlimit", i);
	}
	if (p->oom_score_adj) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0)
			fail("oom", 0);
		if (write(fd, p->oom_score_adj, strlen(p->oom_score_adj)) < 0)
			fail("oom", 1);
		close(fd);
	}
	if (p->filter && !p->no_new_privs)
		load_seccomp(p);
	for (int c = 0; c <= p->last_cap; c++)
		if (!(p->bounding & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			fail("bounding", c);
	int cwd_done = chdir_cwd(p->cwd) == 0;
	if (!cwd_done && errno != EACCES && errno != EPERM)
		fail("chdir", 0);
	set_user(p);
	apply_caps(p);
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("nnp", 0);
	umask(p->umask);
	if (!cwd_done && chdir_cwd(p->cwd) < 0)
		fail("chdir", 0);
	if (p->filter && p->no_new_privs)
		load_seccomp(p);
}

static void wait_for_start(void)
{
	const char *f = getenv("_XRT_FIFO_FD");
	if (!f)
		return;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", atoi(f));
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("open exec.fifo through ", path);
	if (write(fd, "", 1) != 1)
		die("write exec.fifo", "");
	close(fd);
}

__attribute__((constructor(2000))) static void xrt_fastinit(void)
{
	const char *sync = getenv(XRT_SYNC_ENV);
	if (!sync || !getenv("_XRT_FASTINIT"))
		return;
	syncfd = atoi(sync);
	debug("child process in init(): the fast init (C) starts");
	send_procfs();
	expect_state();
	join_cgroup();

	const char *cfg = getenv("_XRT_CONFIG_FD");
	size_t len;
	char *buf = read_all(cfg ? atoi(cfg) : -1, &len);
	if (len == 0)
		_exit(1); // the parent failed and said so itself
	struct xrt_plan plan;
	if (xrt_plan_parse(buf, len, &plan) != 0) {
		errno = EPROTO;
		fail("plan", 0);
	}
	apply(&plan);
	// create logs what the Go init would say here (ReadyLine).
	send_msg("{\"type\":\"ready\"}", -1);
	close(syncfd);

	wait_for_start();
	if (xrt_restore_thp)
		xrt_restore_thp();
	execve(plan.path, plan.argv, plan.envp);
	die("exec ", plan.path);
}
