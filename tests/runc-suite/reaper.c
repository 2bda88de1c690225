/*
 * reaper CMD [ARG...]: runs CMD as a child subreaper and waits for every
 * orphan that is reparented to it at once, as a host's init does.
 *
 * This machine's PID 1 (not an init) reaps orphans about every 2 s: a
 * killed orphan stays a zombie for 1.9 to 2.0 s. runc's kill.bats kills
 * a container's processes without a PID namespace, which `run -d` and
 * `exec -d` have left orphaned (their parent is PID 1), and gives them
 * 2 s to be gone; CI failed it when the reaping came late.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig)
{
	kill(child, sig);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: reaper CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fprintf(stderr, "reaper: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
		return 2;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "reaper: fork: %s\n", strerror(errno));
		return 2;
	}
	if (child == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "reaper: exec %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	struct sigaction sa = { .sa_handler = forward };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "reaper: waitpid: %s\n", strerror(errno));
			return 2;
		}
		if (pid == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}
