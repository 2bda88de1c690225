package cruntime

import (
	"testing"

	"xrt/cruntime/arenaprobe"
)

// Threads that malloc, C ones and the runtime's own, share the one arena:
// without the constructor, glibc makes one per thread.
func TestOneArena(t *testing.T) {
	for range 4 {
		if err := arenaprobe.MallocOnThread(); err != nil {
			t.Fatal(err)
		}
	}
	if n := arenaprobe.Arenas(); n != 1 {
		t.Fatalf("the process has %d malloc arenas, want 1 (M_ARENA_MAX not set before the first thread?)", n)
	}
}
