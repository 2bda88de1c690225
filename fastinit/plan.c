#include <stdlib.h>
#include <string.h>

#include "plan.h"

static int get32(const char *b, size_t n, uint32_t *v)
{
	if (n < 4)
		return -1;
	memcpy(v, b, 4);
	return 0;
}

// cstring is the string record at b (n bytes): plan.go ends each with the
// one NUL it may hold.
static char *cstring(char *b, size_t n)
{
	if (n == 0 || b[n - 1] != 0 || memchr(b, 0, n - 1))
		return NULL;
	return b;
}

static int push(char ***list, int *n, char *s)
{
	char **l = realloc(*list, sizeof(char *) * (size_t)(*n + 2));
	if (!l || !s)
		return -1;
	l[(*n)++] = s;
	l[*n] = NULL;
	*list = l;
	return 0;
}

int xrt_plan_parse(char *buf, size_t len, struct xrt_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->umask = 022;
	p->last_cap = -1;
	int nargs = 0, nenv = 0, end = 0;
	for (size_t off = 0; off < len && !end;) {
		uint32_t n;
		if (len - off < 5 || get32(buf + off + 1, 4, &n) || n > len - off - 5)
			return -1;
		char tag = buf[off], *b = buf + off + 5;
		off += 5 + (size_t)n;
		uint32_t v;
		switch (tag) {
		case 'p':
			if (!(p->path = cstring(b, n)))
				return -1;
			break;
		case 'a':
			if (push(&p->argv, &nargs, cstring(b, n)))
				return -1;
			break;
		case 'e':
			if (push(&p->envp, &nenv, cstring(b, n)))
				return -1;
			break;
		case 'c':
			if (!(p->cwd = cstring(b, n)))
				return -1;
			break;
		case 'u':
			if (n < 8 || n % 4)
				return -1;
			memcpy(&p->uid, b, 4);
			memcpy(&p->gid, b + 4, 4);
			p->ngids = (int)(n - 8) / 4;
			if (p->ngids && !(p->gids = malloc(n - 8)))
				return -1;
			memcpy(p->gids, b + 8, n - 8);
			break;
		case 'k': {
			uint64_t sets[5];
			if (n != sizeof(sets))
				return -1;
			memcpy(sets, b, sizeof(sets));
			p->bounding = sets[0], p->effective = sets[1], p->permitted = sets[2];
			p->inheritable = sets[3], p->ambient = sets[4];
			break;
		}
		case 'L':
			if (n != 4 || get32(b, n, &v) || v > 63)
				return -1;
			p->last_cap = (int)v;
			break;
		case 'r':
			if (n != 20 || p->nrlimits == XRT_PLAN_MAX_RLIMITS)
				return -1;
			memcpy(&p->rlimits[p->nrlimits].resource, b, 4);
			memcpy(&p->rlimits[p->nrlimits].soft, b + 4, 8);
			memcpy(&p->rlimits[p->nrlimits].hard, b + 12, 8);
			p->nrlimits++;
			break;
		case 'o':
			if (!(p->oom_score_adj = cstring(b, n)))
				return -1;
			break;
		case 'n':
			p->no_new_privs = 1;
			break;
		case 'm':
			if (get32(b, n, &p->umask) || n != 4)
				return -1;
			break;
		case 's':
			if (n < 4 + 8 || (n - 4) % 8)
				return -1;
			memcpy(&p->seccomp_flags, b, 4);
			p->filter = b + 4;
			p->filter_len = n - 4;
			break;
		case 'K':
			if (!(p->keyring = cstring(b, n)))
				return -1;
			break;
		case 'C':
			p->new_cgroupns = 1;
			break;
		case 'f':
			if (n != 4 || get32(b, n, &v) || v > 1 << 20)
				return -1;
			p->preserve_fds = (int)v;
			break;
		case 'Z':
			if (off != len)
				return -1;
			end = 1;
			break;
		default:
			return -1;
		}
	}
	if (!end || !p->path || !*p->path || !p->argv || !p->cwd || !*p->cwd || p->last_cap < 0)
		return -1;
	if (!p->envp && !(p->envp = calloc(1, sizeof(char *))))
		return -1;
	return 0;
}
