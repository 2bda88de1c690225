// The fast path of `xrt delete [--force]` of a plain container: what
// container.destroy does (container/delete.go), in its order, for a
// container whose fastdel record (in state.json, written by create,
// container/fastdel.go, only when nothing else is to be done) lists what
// to touch. Everything
// is checked before anything is killed; after that, a failure leaves what
// the Go side's delete finishes: the state directory goes last, state.json
// last of all.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fastdel.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int xrt_fastdel_parse(char *buf, size_t len, struct xrt_fastdel *r)
{
	memset(r, 0, sizeof(*r));
	if (len == 0 || buf[len - 1] != '\n' || strlen(buf) != len)
		return -1; // cut short, or a NUL inside
	int have_pid = 0, have_start = 0;
	char *line = buf, *end = buf + len;
	for (int first = 1; line < end; first = 0) {
		char *nl = memchr(line, '\n', end - line);
		*nl = 0;
		if (first) {
			if (strcmp(line, XRT_FASTDEL_MAGIC) != 0)
				return -1;
			line = nl + 1;
			continue;
		}
		char *val = strchr(line, ' ');
		if (!val)
			return -1;
		*val++ = 0;
		if (strcmp(line, "pid") == 0 || strcmp(line, "start") == 0) {
			char *e;
			errno = 0;
			unsigned long long n = strtoull(val, &e, 10);
			if (errno || e == val || *e || *val == '-' || *val == '+' || n == 0)
				return -1;
			if (line[0] == 'p') {
				if (have_pid++ || n > 0x7fffffff)
					return -1;
				r->pid = (long long)n;
			} else {
				if (have_start++)
					return -1;
				r->start = n;
			}
		} else {
			if (val[0] != '/')
				return -1;
			const char **slot = NULL;
			if (strcmp(line, "procs") == 0)
				slot = &r->procs;
			else if (strcmp(line, "kill") == 0)
				slot = &r->kill;
			else if (strcmp(line, "freezer") == 0)
				slot = &r->freezer;
			else if (strcmp(line, "cgroup") == 0) {
				if (r->ndirs == XRT_FASTDEL_MAX_DIRS)
					return -1;
				r->dirs[r->ndirs++] = val;
			} else
				return -1; // a key this reader does not know: the Go side does
			if (slot) {
				if (*slot)
					return -1;
				*slot = val;
			}
		}
		line = nl + 1;
	}
	if (!have_pid || !have_start || (r->ndirs > 0 && !r->procs) || (r->ndirs == 0 && (r->procs || r->kill || r->freezer)))
		return -1;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// read_small reads a small file into buf, NUL-terminated, trailing
// whitespace trimmed; -1 with errno on failure.
static ssize_t read_small(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return n;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

// proc_stat reads the start time and state of pid as container.procStat
// does (after the last ')' of /proc/PID/stat); -1 when it cannot.
static int proc_stat(long long pid, unsigned long long *start, char *state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	if (read_small(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return -1;
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	p += 2;
	*state = *p;
	for (int field = 3; field < 22; field++) { // start time is field 22
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	char *e;
	errno = 0;
	*start = strtoull(p, &e, 10);
	return errno || e == p ? -1 : 0;
}

// any_live reports whether a process listed in dir's cgroup.procs, or in
// a cgroup below it, has not exited (container.anyLive); -1 when it
// cannot tell.
static int any_live(const char *dir, int depth)
{
	if (depth > 64)
		return -1;
	char path[4096], buf[8192];
	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0 || n == (ssize_t)sizeof(buf) - 1)
		return -1; // a cgroup with that many processes: the Go side
	buf[n] = 0;
	for (char *p = buf, *e; *p; p = e) {
		long long pid = strtoll(p, &e, 10);
		if (e == p)
			break;
		unsigned long long start;
		char state;
		if (proc_stat(pid, &start, &state) == 0 && state != 'Z' && state != 'X')
			return 1;
	}
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int live = 0;
	for (struct dirent *e; !live && (e = readdir(d));) {
		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			live = -1;
		else
			live = any_live(path, depth + 1);
	}
	closedir(d);
	return live;
}

// remove_cgroup removes dir, children first, retrying while it is busy
// until deadline (cgroups' removeCgroup); -1 when it could not.
static int remove_cgroup(const char *dir, long long deadline, int depth)
{
	if (depth > 64)
		return -1;
	for (int pause = 1;;) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY && errno != ENOTEMPTY)
			return -1;
		DIR *d = opendir(dir);
		if (!d)
			return errno == ENOENT ? 0 : -1;
		int children = 0, failed = 0;
		for (struct dirent *e; !failed && (e = readdir(d));) {
			if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char path[4096];
			children = 1;
			if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
			    remove_cgroup(path, deadline, depth + 1) < 0)
				failed = 1;
		}
		closedir(d);
		if (failed || now_ms() > deadline)
			return -1;
		if (!children) {
			// Tasks still exiting.
			struct timespec ts = {0, pause * 1000000L};
			nanosleep(&ts, NULL);
			pause = pause * 2 > 50 ? 50 : pause * 2;
		}
	}
}

// The files a plain container's state directory holds, with the temp
// names of the ones written by rename; anything else is the Go side's.
int xrt_fastdel_extract(const char *json, size_t len, char *out, size_t size)
{
	static const char key[] = "\"" XRT_FASTDEL_KEY "\":[";
	// Unescaped, the key cannot be inside a string: a quote there is \".
	const char *p = memmem(json, len, key, sizeof(key) - 1);
	if (!p || memmem(p + 1, json + len - p - 1, key, sizeof(key) - 1))
		return -1;
	const char *end = json + len;
	size_t n = 0;
	p += sizeof(key) - 1;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p < end && *p == ']' && n == 0)
			return -1; // an empty record
		if (p >= end || *p != '"')
			return -1;
		const char *q = ++p;
		while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
			q++;
		// An escape: create writes none (fastdelRecord), so not its record.
		if (q >= end || *q != '"' || n + (q - p) + 2 > size)
			return -1;
		memcpy(out + n, p, q - p);
		n += q - p;
		out[n++] = '\n';
		p = q + 1;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == ']')
			break;
		return -1;
	}
	out[n] = 0;
	return (int)n;
}

static const char *const state_files[] = {
	XRT_STATE_FILE, XRT_CONFIG_FILE, XRT_FIFO_FILE, XRT_FASTDEL_FILE,
	"." XRT_STATE_FILE, "." XRT_CONFIG_FILE, "." XRT_FASTDEL_FILE,
};

// scan_state checks that dirfd holds only state_files, as plain files or
// the fifo, and reports which of them are there (bit i: state_files[i])
// and whether exec.fifo is one; -1 otherwise.
static int scan_state(int dirfd, unsigned *present, int *fifo)
{
	int fd = dup(dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	int ok = 1;
	*fifo = 0;
	*present = 0;
	for (struct dirent *e; ok && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ok = 0;
		for (size_t i = 0; i < sizeof(state_files) / sizeof(state_files[0]); i++) {
			if (strcmp(e->d_name, state_files[i]) == 0) {
				ok = 1;
				*present |= 1u << i;
			}
		}
		struct stat st;
		if (!ok || fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			ok = 0;
		else if (S_ISFIFO(st.st_mode))
			*fifo |= strcmp(e->d_name, XRT_FIFO_FILE) == 0;
		else
			ok = S_ISREG(st.st_mode);
	}
	closedir(d);
	return ok ? 0 : -1;
}

// thaw thaws the cgroup if its freezer says it is not thawed (State, then
// Thaw); a freezer that cannot be read is left, as the Go side does.
static int thaw(const char *freezer)
{
	char buf[64];
	if (read_small(AT_FDCWD, freezer, buf, sizeof(buf)) < 0)
		return 0;
	const char *base = strrchr(freezer, '/') + 1;
	if (strcmp(base, "freezer.state") == 0)
		return strcmp(buf, "THAWED") == 0 ? 0 : write_str(freezer, "THAWED");
	if (strcmp(base, "cgroup.freeze") == 0)
		return strcmp(buf, "1") != 0 ? 0 : write_str(freezer, "0");
	return -1;
}

int xrt_fastdelete(const char *dir, int force)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 0;
	int done = 0, pidfd = -1;
	char state[XRT_FASTDEL_MAX_STATE + 2], rec[XRT_FASTDEL_MAX_BYTES + 2];
	struct xrt_fastdel r;
	int fifo;
	unsigned present;
	// The lock every command on this container takes (container/lock.go).
	// Then nothing is touched until everything is known to be plain.
	if (flock(dirfd, LOCK_EX) < 0)
		goto out;
	// The record is in state.json: a container without one is not plain.
	ssize_t n = read_small(dirfd, XRT_STATE_FILE, state, sizeof(state));
	if (n < 0 || n > XRT_FASTDEL_MAX_STATE)
		goto out;
	int len = xrt_fastdel_extract(state, n, rec, XRT_FASTDEL_MAX_BYTES + 1);
	if (len < 0 || xrt_fastdel_parse(rec, len, &r) < 0 || scan_state(dirfd, &present, &fifo) < 0)
		goto out;

	// Init, if it is still the process create started (container.pidfd).
	pidfd = syscall(SYS_pidfd_open, (pid_t)r.pid, 0);
	if (pidfd < 0 && errno != ESRCH)
		goto out;
	if (pidfd >= 0) {
		unsigned long long start;
		char state;
		if (proc_stat(r.pid, &start, &state) < 0 || start != r.start || state == 'Z' || state == 'X') {
			close(pidfd);
			pidfd = -1; // gone: the pid is another process's, or a zombie
		}
	}
	// Without --force only a stopped or created container goes.
	if (!force && pidfd >= 0 && !fifo)
		goto out;

	// killAndWait.
	if (pidfd >= 0) {
		if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
			goto out;
		// A frozen process cannot die: thaw a paused container.
		if (r.freezer && thaw(r.freezer) < 0)
			goto out;
		long long deadline = now_ms() + 10000;
		for (;;) {
			long long left = deadline - now_ms();
			if (left <= 0)
				goto out;
			struct pollfd p = {.fd = pidfd, .events = POLLIN};
			int got = poll(&p, 1, (int)left);
			if (got > 0)
				break;
			if (got < 0 && errno != EINTR)
				goto out;
		}
		siginfo_t info;
		waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG); // reaps it when it is ours
	}

	// removeCgroup: what is left in it (processes of a container without
	// its own PID namespace outlive init) is killed, then it goes.
	int exists = 0;
	for (int i = 0; i < r.ndirs && !exists; i++)
		exists = access(r.dirs[i], F_OK) == 0;
	if (exists) {
		int live = any_live(r.procs, 0);
		if (live < 0)
			goto out;
		if (live) {
			// cgroup.kill only: killing pid by pid needs the freezer
			// first, so that nothing forks behind the scan (the Go side).
			char kill[4096];
			if (!r.kill || snprintf(kill, sizeof(kill), "%s/cgroup.kill", r.kill) >= (int)sizeof(kill) ||
			    write_str(kill, "1") < 0)
				goto out;
		}
		long long deadline = now_ms() + 1000;
		for (int i = 0; i < r.ndirs; i++)
			if (remove_cgroup(r.dirs[i], deadline, 0) < 0)
				goto out;
	}

	// The state directory: state.json last, so that until it goes the
	// Go side's delete (with or without --force) finds the container.
	// exec.fifo is there only when seen (start removes it, not adds it).
	for (size_t i = 0; i < sizeof(state_files) / sizeof(state_files[0]); i++) {
		if (strcmp(state_files[i], XRT_STATE_FILE) == 0 || !(present & (1u << i)))
			continue;
		if (unlinkat(dirfd, state_files[i], 0) < 0 && errno != ENOENT)
			goto out;
	}
	if (unlinkat(dirfd, XRT_STATE_FILE, 0) < 0 || rmdir(dir) < 0)
		goto out;
	done = 1;
out:
	if (pidfd >= 0)
		close(pidfd);
	close(dirfd); // releases the lock: the Go side takes it again
	return done;
}
