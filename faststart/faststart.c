// The fast paths of `xrt start` and `xrt delete`, in C before the Go
// runtime starts: both are on every container's critical path, and a Go
// process costs a few milliseconds just to exist. Each handles only its
// plain case: start of a created container with no poststart hooks and no
// NOTIFY_SOCKET; delete --force of a container that is already gone, with
// nothing of it left in the image store (engines delete twice); delete,
// with or without --force, of a container whose create recorded it as
// plain (fastdel.c). Anything else, and every failure, returns to let the
// Go implementation (start.go, delete.go) do the whole command, with its
// checks and messages. XRT_NO_FASTPATH set (not empty) turns them all off,
// to compare or to debug.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsenter.h"

#include "defaults.h"
#include "fastdel.h"

// parse finds --root, --store and the command of `xrt [global flags]
// start ID` or `xrt [global flags] delete [--force] ID`. Flags that change
// nothing here are skipped; any other shape returns NULL.
static const char *parse(int argc, char **argv, const char **root, const char **store, const char **id, int *force)
{
	*force = 0;
	*root = XRT_DEFAULT_ROOT;
	// Rootless: the Go side's default, $XDG_RUNTIME_DIR/xrt.
	static char rootless[4096];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (geteuid() != 0 && xdg && *xdg) {
		if (snprintf(rootless, sizeof(rootless), "%s/%s", xdg, XRT_ROOTLESS_ROOT) >= (int)sizeof(rootless))
			return NULL;
		*root = rootless;
	}
	*store = getenv(XRT_STORE_ENV);
	if (!*store || !**store)
		*store = XRT_DEFAULT_STORE;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) == 0)
			a++; // -root and --root alike
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		const char **val = NULL;
		if (n == 5 && strncmp(a, "-root", 5) == 0)
			val = root;
		else if (n == 6 && strncmp(a, "-store", 6) == 0)
			val = store;
		else if ((n == 4 && strncmp(a, "-log", 4) == 0) || (n == 11 && strncmp(a, "-log-format", 11) == 0))
			val = NULL;
		else if (n == 15 && strncmp(a, "-systemd-cgroup", 15) == 0 &&
			 (!eq || strcmp(eq, "=false") == 0 || strcmp(eq, "=true") == 0))
			continue; // the driver is in the container's state (and fastdel only for cgroupfs)
		else
			return NULL; // --debug, --rootless, --help, --version, ...
		const char *v = eq ? eq + 1 : (++i < argc ? argv[i] : NULL);
		if (!v)
			return NULL;
		if (val)
			*val = v;
	}
	const char *cmd = NULL;
	if (argc - i == 2 && strcmp(argv[i], "start") == 0)
		cmd = "start";
	else if (argc - i == 3 && strcmp(argv[i], "delete") == 0 &&
		 (strcmp(argv[i + 1], "--force") == 0 || strcmp(argv[i + 1], "-f") == 0))
		cmd = "delete", *force = 1;
	else if (argc - i == 2 && strcmp(argv[i], "delete") == 0)
		cmd = "delete";
	else
		return NULL;
	*id = argv[argc - 1];
	if (!**id || strchr(*id, '/') || strcmp(*id, ".") == 0 || strcmp(*id, "..") == 0 || (*id)[0] == '-')
		return NULL;
	return cmd;
}

// store_has reports whether the image store may hold something of
// container id: its root, or the leftovers of a create or remove killed
// half-way (see image.HasContainer).
static int store_has(const char *store, const char *id)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s/" XRT_STORE_CONTAINERS "/%s", store, id) >= (int)sizeof(p))
		return 1;
	if (access(p, F_OK) == 0 || errno != ENOENT)
		return 1;
	snprintf(p, sizeof(p), "%s/" XRT_STORE_TMP, store);
	DIR *d = opendir(p);
	if (!d)
		return errno != ENOENT;
	size_t n = strlen(id);
	int found = 0;
	for (struct dirent *e; !found && (e = readdir(d));) {
		const char *name = e->d_name;
		if (strncmp(name, XRT_TMP_CREATING, strlen(XRT_TMP_CREATING)) == 0)
			name += strlen(XRT_TMP_CREATING);
		else if (strncmp(name, XRT_TMP_REMOVING, strlen(XRT_TMP_REMOVING)) == 0)
			name += strlen(XRT_TMP_REMOVING);
		else
			continue;
		found = strncmp(name, id, n) == 0 && name[n] == '.';
	}
	closedir(d);
	return found;
}

// has_poststart reports whether config.json may have poststart hooks (a
// plain substring search: a false positive only costs the Go path).
static int has_poststart(int dirfd)
{
	int fd = openat(dirfd, XRT_CONFIG_FILE, O_RDONLY | O_CLOEXEC);
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
	int fifo = openat(dirfd, XRT_FIFO_FILE, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
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
	const char *root, *store, *id, *cmd, *off = getenv(XRT_NO_FASTPATH_ENV);
	int force;
	if (argc < 3 || getenv(XRT_SYNC_ENV) || (off && *off) || !(cmd = parse(argc, argv, &root, &store, &id, &force)))
		return;
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s/%s", root, id) >= (int)sizeof(dir))
		return;
	if (strcmp(cmd, "delete") == 0) {
		// Gone, and nothing left in the store: the second delete --force.
		if (access(dir, F_OK) < 0 && errno == ENOENT) {
			if (force && !store_has(store, id))
				_exit(0);
			return;
		}
		if (xrt_fastdelete(dir, force))
			_exit(0);
		return;
	}
	if (getenv("NOTIFY_SOCKET"))
		return;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	// The lock every command on this container takes (container/lock.go).
	if (flock(dirfd, LOCK_EX) < 0 || faccessat(dirfd, XRT_STATE_FILE, F_OK, 0) < 0 || has_poststart(dirfd) ||
	    !release(dirfd)) {
		close(dirfd); // releases the lock: Go takes it again
		return;
	}
	unlinkat(dirfd, XRT_FIFO_FILE, 0);
	_exit(0);
}
