#include <malloc.h>

// Priority 101, the first a program may use: before any thread exists, in
// every xrt process (the Go commands and `xrt init` alike).
__attribute__((constructor(101))) static void xrt_one_arena(void)
{
	mallopt(M_ARENA_MAX, 1);
}
