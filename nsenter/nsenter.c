// The C half of `xrt init`. It runs as an ELF constructor, before the Go
// runtime has started a second thread, in this order:
//
//  1. seal:  unless the xrt binary already sits on a read-only mount, enter a
//            private mount namespace, bind the binary read-only over itself
//            and re-exec it, so /proc/<pid>/exe can never be opened for
//            writing by the container (CVE-2019-5736). Costs one execve, no
//            copy of the binary.
//     thp:   hold transparent huge pages off until the container's process
//            (hold_off_thp).
//  2. wait:  for "go" from the parent (it has put us into the cgroup), with
//            the network namespace it made meanwhile, if any.
//  3. join:  setns into every namespace given by path (user first).
//  4. user:  unshare a new user namespace; the parent writes the id maps.
//  5. new:   unshare the other new namespaces, write time offsets.
//  6. fork:  a new or joined PID or time namespace only applies to children,
//            so fork; the child becomes init, the intermediate reports its
//            pid and exits. Otherwise this process reports itself.
//
// Then the constructor returns and the Go runtime starts, in the container's
// namespaces. Every failure is sent to the parent as an "error" message.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#include "nsenter.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int syncfd = -1;

static void send_json(const char *json)
{
	if (send(syncfd, json, strlen(json), MSG_NOSIGNAL) < 0)
		_exit(1);
}

// bail reports a failure with strerror(errno) appended, then exits.
static void bail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void bail(const char *fmt, ...)
{
	int saved = errno;
	char msg[1024], json[2200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (saved && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));

	char *o = json + sprintf(json, "{\"type\":\"error\",\"message\":\"");
	for (const char *p = msg; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			*o++ = '\\', *o++ = c;
		else if (c < 0x20)
			o += sprintf(o, "\\u%04x", c);
		else
			*o++ = c;
	}
	strcpy(o, "\"}");
	send_json(json);
	_exit(1);
}

static void send_pid(const char *type, pid_t pid)
{
	char json[64];
	snprintf(json, sizeof(json), "{\"type\":\"%s\",\"pid\":%d}", type, (int)pid);
	send_json(json);
}

// expect_fd blocks until the parent sends a message of the given type and
// returns the fd that came with it (close-on-exec), or -1. The parent
// closing the socket (it failed) ends this process quietly.
static int expect_fd(const char *type)
{
	char buf[512], want[64];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
	ssize_t n = recvmsg(syncfd, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		_exit(1);
	buf[n] = 0;
	int fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	snprintf(want, sizeof(want), "\"type\":\"%s\"", type);
	if (!strstr(buf, want)) {
		errno = 0;
		bail("nsenter: expected %s from parent, got %s", type, buf);
	}
	return fd;
}

static void expect(const char *type)
{
	int fd = expect_fd(type);
	if (fd >= 0)
		close(fd);
}

// seal_rootless is seal for an unprivileged user, who cannot make a mount
// namespace before its user namespace exists. A binary this user cannot
// write is safe as it is: the container's users are this user at most, and
// capabilities inside its user namespace give nothing over a file whose
// owner is not mapped there. A binary this user owns is copied once into a
// sealed memfd, re-executed from there.
static void seal_rootless(char **argv)
{
	if (access("/proc/self/exe", W_OK) < 0)
		return;
	int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0)
		bail("seal: open /proc/self/exe");
	int mfd = memfd_create("xrt", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		bail("seal: memfd_create");
	struct stat st;
	if (fstat(src, &st) < 0)
		bail("seal: stat /proc/self/exe");
	for (off_t left = st.st_size; left > 0;) {
		ssize_t n = sendfile(mfd, src, NULL, left);
		if (n <= 0)
			bail("seal: copy the binary");
		left -= n;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		bail("seal: seal the copy");
	setenv("_XRT_SEALED", "1", 1);
	extern char **environ;
	fexecve(mfd, argv, environ);
	bail("seal: re-exec the sealed copy");
}

static void seal(char **argv, char **envp)
{
	struct statvfs st;
	if (statvfs("/proc/self/exe", &st) == 0 && (st.f_flag & ST_RDONLY))
		return;
	if (getenv("_XRT_SEALED"))
		return;

	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		bail("seal: readlink /proc/self/exe");
	self[n] = 0;
	if (n > 10 && strcmp(self + n - 10, " (deleted)") == 0) {
		errno = 0;
		bail("seal: the xrt binary %s was deleted; run the new binary", self);
	}

	// The mount namespace we came from: init returns to it when the
	// container has no mount namespace of its own.
	int hostmnt = open("/proc/self/ns/mnt", O_RDONLY);
	if (hostmnt < 0)
		bail("seal: open /proc/self/ns/mnt");
	if (unshare(CLONE_NEWNS) < 0) {
		if (errno == EPERM && geteuid() != 0) {
			close(hostmnt);
			seal_rootless(argv);
			return;
		}
		bail("seal: unshare mount namespace");
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		bail("seal: make / rslave");
	// The exe's own mount belongs to the namespace we left, so bind the
	// path, then check it is still the very file we run.
	if (mount(self, self, NULL, MS_BIND, NULL) < 0)
		bail("seal: bind %s", self);
	struct stat want, got;
	if (stat("/proc/self/exe", &want) < 0 || stat(self, &got) < 0)
		bail("seal: stat %s", self);
	if (want.st_dev != got.st_dev || want.st_ino != got.st_ino) {
		errno = 0;
		bail("seal: %s was replaced while xrt started; run it again", self);
	}
	if (mount(NULL, self, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		bail("seal: remount %s read-only", self);

	char fd[16];
	snprintf(fd, sizeof(fd), "%d", hostmnt);
	setenv("_XRT_MNTNS_FD", fd, 1);
	extern char **environ;
	execve(self, argv, environ);
	(void)envp;
	bail("seal: re-exec %s", self);
}

struct nsdef {
	const char *name;
	int flag;
	int create;
	char *path;
	int fd;
};

static struct nsdef namespaces[] = {
	// user first: the others are owned by it.
	{"user", CLONE_NEWUSER, 0, NULL, -1},
	{"ipc", CLONE_NEWIPC, 0, NULL, -1},
	{"uts", CLONE_NEWUTS, 0, NULL, -1},
	{"network", CLONE_NEWNET, 0, NULL, -1},
	{"pid", CLONE_NEWPID, 0, NULL, -1},
	{"cgroup", CLONE_NEWCGROUP, 0, NULL, -1},
	{"time", CLONE_NEWTIME, 0, NULL, -1},
	// mount last: joining it changes how later paths resolve.
	{"mount", CLONE_NEWNS, 0, NULL, -1},
	{NULL, 0, 0, NULL, -1},
};

static struct nsdef *lookup(const char *name)
{
	for (struct nsdef *ns = namespaces; ns->name; ns++)
		if (strcmp(ns->name, name) == 0)
			return ns;
	errno = 0;
	bail("nsenter: unknown namespace type %s", name);
}

static void parse_namespaces(const char *spec)
{
	char *list = strdup(spec ? spec : "");
	for (char *save = NULL, *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (eq)
			*eq = 0;
		struct nsdef *ns = lookup(item);
		if (eq)
			ns->path = eq + 1;
		else
			ns->create = 1;
	}
}

static void join(struct nsdef *ns)
{
	if (ns->fd < 0)
		return;
	if (setns(ns->fd, ns->flag) < 0)
		bail("nsenter: join %s namespace %s", ns->name, ns->path);
	close(ns->fd);
	ns->fd = -1;
}

// try_join joins ns if this process may; EPERM leaves it for later.
static void try_join(struct nsdef *ns)
{
	if (ns->fd < 0)
		return;
	if (setns(ns->fd, ns->flag) < 0) {
		if (errno == EPERM)
			return;
		bail("nsenter: join %s namespace %s", ns->name, ns->path);
	}
	close(ns->fd);
	ns->fd = -1;
}

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		bail("nsenter: open %s", path);
	if (write(fd, data, strlen(data)) < 0)
		bail("nsenter: write %s", path);
	close(fd);
}

// Whether this process turned transparent huge pages off for itself; see
// xrt_restore_thp.
static int thp_held_off;

// The Go runtime's heap is a 64 MiB reservation that it touches in a few
// places at start-up. Where THP is "always" (Debian's and RHEL's kernels),
// each first touch of a 2 MiB-aligned stretch takes a whole huge page, so
// every `xrt init` waiting for start held 2 MiB or more of anonymous memory
// it never used. The flag (MMF_DISABLE_THP) outlives execve, so init puts
// the caller's setting back just before the container's process
// (xrt_restore_thp); a caller that had THP off keeps it off.
static void hold_off_thp(void)
{
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 0 && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0)
		thp_held_off = 1;
}

int xrt_restore_thp(void)
{
	if (!thp_held_off || prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0) < 0)
		return 0;
	thp_held_off = 0;
	return 1;
}

// Priority 1000: before fastinit.c's constructor (2000), which goes on
// from where this one leaves the process.
__attribute__((constructor(1000))) static void xrt_nsenter(int argc, char **argv, char **envp)
{
	(void)argc;
	const char *sync = getenv(XRT_SYNC_ENV);
	if (!sync)
		return;
	syncfd = atoi(sync);

	seal(argv, envp);
	hold_off_thp();
	int hostmnt = -1;
	const char *mntfd = getenv("_XRT_MNTNS_FD");
	if (mntfd) {
		hostmnt = atoi(mntfd);
		unsetenv("_XRT_MNTNS_FD");
	}

	int gofd = expect_fd("go");
	if (getenv("_XRT_DEBUG"))
		send_json("{\"type\":\"log\",\"level\":\"debug\",\"message\":\"nsexec container setup: nsenter joins and creates the namespaces\"}");
	parse_namespaces(getenv("_XRT_NS"));

	// Open every path before joining anything: a joined mount namespace
	// would change what the later paths mean.
	// XRT_NS_WITH_GO (never from a config, whose paths are absolute) is a
	// new namespace the parent made while this process started and sent
	// with "go": joined, then closed with the others, so that the
	// container never holds it. When none came, it is made here.
	for (struct nsdef *ns = namespaces; ns->name; ns++) {
		if (!ns->path)
			continue;
		if (strcmp(ns->path, XRT_NS_WITH_GO) == 0) {
			if (gofd < 0) {
				ns->path = NULL;
				ns->create = 1;
			}
			ns->fd = gofd;
			gofd = -1;
			continue;
		}
		if ((ns->fd = open(ns->path, O_RDONLY | O_CLOEXEC)) < 0)
			bail("nsenter: open %s namespace %s", ns->name, ns->path);
	}
	if (gofd >= 0)
		close(gofd);

	struct nsdef *user = &namespaces[0];
	// Before a joined user namespace, every other namespace this process
	// may join as it is: one that namespace does not own (the host's
	// network, say) cannot be joined from inside it. The rest, those
	// owned by it, are joined after it.
	if (user->path)
		for (struct nsdef *ns = namespaces + 1; ns->name; ns++)
			try_join(ns);
	join(user);
	if (user->path) {
		// Joined: become that namespace's root, as a created one does
		// below. Our host ids are not mapped there, and files made with
		// unmapped ids fail (EOVERFLOW).
		if (setresgid(0, 0, 0) == 0)
			(void)setresuid(0, 0, 0);
		(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	}
	if (user->create) {
		if (unshare(CLONE_NEWUSER) < 0)
			bail("nsenter: unshare user namespace");
		send_pid("usermap", getpid());
		expect("ack");
		// Become root of the new namespace when the maps allow it; the Go
		// side sets the container's user later.
		if (setresgid(0, 0, 0) == 0)
			(void)setresuid(0, 0, 0);
		// The credential change made us non-dumpable, and /proc/self of a
		// non-dumpable process belongs to the host's root, unmapped here:
		// timens_offsets, and the Go side's /proc/self files, would be
		// out of reach.
		(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	}
	for (struct nsdef *ns = namespaces + 1; ns->name; ns++)
		join(ns);

	struct nsdef *mnt = lookup("mount");
	if (!mnt->create && !mnt->path && hostmnt >= 0 && setns(hostmnt, CLONE_NEWNS) < 0)
		bail("nsenter: return to the caller's mount namespace");

	int flags = 0;
	for (struct nsdef *ns = namespaces + 1; ns->name; ns++)
		if (ns->create)
			flags |= ns->flag;
	// The seal's private mount namespace is a fresh copy of the caller's:
	// reuse it rather than copy it again and tear it down (a mount
	// namespace teardown waits for an RCU grace period). A new user
	// namespace needs a mount namespace of its own, owned by it.
	if (hostmnt >= 0 && mnt->create && !user->create && !user->path)
		flags &= ~CLONE_NEWNS;
	if (flags && unshare(flags) < 0)
		bail("nsenter: unshare namespaces 0x%x", flags);

	if (hostmnt >= 0)
		close(hostmnt);

	struct nsdef *timens = lookup("time");
	const char *offsets = getenv("_XRT_TIMENS");
	if (timens->create && offsets && *offsets)
		write_file("/proc/self/timens_offsets", offsets);

	struct nsdef *pidns = lookup("pid");
	if (pidns->create || pidns->path || timens->create || timens->path) {
		pid_t child = fork();
		if (child < 0)
			bail("nsenter: fork into the new namespaces");
		if (child > 0) {
			send_pid("pid", child);
			_exit(0);
		}
	} else {
		send_pid("pid", getpid());
	}
}
