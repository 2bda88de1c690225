// The fast path of `xrt start`, in C before the Go runtime starts: start is
// on every container's critical path, and a Go process costs a few
// milliseconds just to exist. It handles only the plain case: a created
// container, no poststart hooks, no NOTIFY_SOCKET, known flags. Anything
// else, and every failure, returns to let the Go implementation (start.go)
// do the whole command, with its checks and messages.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

// parse finds --root and the id of `xrt [global flags] start ID`. Flags
// that change nothing here are skipped; any other shape returns -1.
static int parse(int argc, char **argv, const char **root, const char **id)
{
	*root = "/run/xrt";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) == 0)
			a++; // -root and --root alike
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		if (n == 5 && strncmp(a, "-root", 5) == 0) {
			if (eq)
				*root = eq + 1;
			else if (++i < argc)
				*root = argv[i];
			else
				return -1;
		} else if ((n == 4 && strncmp(a, "-log", 4) == 0) || (n == 11 && strncmp(a, "-log-format", 11) == 0) ||
			   (n == 6 && strncmp(a, "-store", 6) == 0)) {
			if (!eq && ++i >= argc)
				return -1;
		} else if (n == 15 && strncmp(a, "-systemd-cgroup", 15) == 0 && (!eq || strcmp(eq, "=false") == 0)) {
			if (!eq)
				return -1; // runc's engines never set it; Go says it is unsupported
		} else {
			return -1; // --debug, --rootless, --help, --version, ...
		}
	}
	if (argc - i != 2 || strcmp(argv[i], "start") != 0)
		return -1;
	*id = argv[i + 1];
	if (!**id || strchr(*id, '/') || strcmp(*id, ".") == 0 || strcmp(*id, "..") == 0 || (*id)[0] == '-')
		return -1;
	return 0;
}

// has_poststart reports whether config.json may have poststart hooks (a
// plain substring search: a false positive only costs the Go path).
static int has_poststart(int dirfd)
{
	int fd = openat(dirfd, "config.json", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size > (16 << 20)) {
		close(fd);
		return 1;
	}
	char *buf = malloc(st.st_size + 1);
	ssize_t got = buf ? read(fd, buf, st.st_size) : -1;
	close(fd);
	if (got != st.st_size) {
		free(buf);
		return 1;
	}
	buf[got] = 0;
	int found = memmem(buf, got, "poststart", 9) != NULL;
	free(buf);
	return found;
}

// release reads the byte init writes into exec.fifo: 1 when init went on,
// 0 when it is not there to write it (the Go path says why).
static int release(int dirfd)
{
	int fifo = openat(dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		return 0;
	struct stat st;
	if (fstat(fifo, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fifo);
		return 0;
	}
	for (int tries = 0; tries < 3000; tries++) {
		char b;
		ssize_t n = read(fifo, &b, 1);
		if (n == 1) {
			close(fifo);
			return 1;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break; // no writer: init is gone (or not there yet: Go retries)
		struct pollfd p = {.fd = fifo, .events = POLLIN};
		poll(&p, 1, 10);
	}
	close(fifo);
	return 0;
}

__attribute__((constructor)) static void xrt_faststart(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *root, *id;
	if (argc < 3 || getenv("_XRT_SYNC_FD") || getenv("NOTIFY_SOCKET") || parse(argc, argv, &root, &id) < 0)
		return;
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s/%s", root, id) >= (int)sizeof(dir))
		return;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	// The lock every command on this container takes (container/lock.go).
	if (flock(dirfd, LOCK_EX) < 0 || faccessat(dirfd, "state.json", F_OK, 0) < 0 || has_poststart(dirfd) ||
	    !release(dirfd)) {
		close(dirfd); // releases the lock: Go takes it again
		return;
	}
	unlinkat(dirfd, "exec.fifo", 0);
	_exit(0);
}
