// Package fastinit is `xrt init` in C for the common container (see
// fastinit.c): no Go runtime starts in it. create's own thread makes the
// container's root from outside (containerinit.SetupFor) and hands the
// C init a Plan; the Go init (containerinit.Run) keeps every other case.
package fastinit

// #cgo CFLAGS: -Wall -Wextra -O2 -I${SRCDIR}/../nsenter
// #include <stdlib.h>
// #include "plan.h"
import "C"

import (
	"strconv"
	"unsafe"
)

// Env, set by the parent, makes `xrt init` the fast one.
const Env = "_XRT_FASTINIT"

// Decode parses b with the C init's own parser; false when it refuses it.
// It is how the tests hold the Go writer and the C reader together.
func Decode(b []byte) (Plan, bool) {
	buf := (*C.char)(C.malloc(C.size_t(len(b) + 1)))
	defer C.free(unsafe.Pointer(buf))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(b)), b)
	var c C.struct_xrt_plan
	if C.xrt_plan_parse(buf, C.size_t(len(b)), &c) != 0 {
		return Plan{}, false
	}
	strs := func(l **C.char) []string {
		var out []string
		for ; l != nil && *l != nil; l = (**C.char)(unsafe.Add(unsafe.Pointer(l), unsafe.Sizeof(l))) {
			out = append(out, C.GoString(*l))
		}
		return out
	}
	p := Plan{
		Path: C.GoString(c.path), Args: strs(c.argv), Env: strs(c.envp), Cwd: C.GoString(c.cwd),
		UID: uint32(c.uid), GID: uint32(c.gid),
		Bounding: uint64(c.bounding), Effective: uint64(c.effective), Permitted: uint64(c.permitted),
		Inheritable: uint64(c.inheritable), Ambient: uint64(c.ambient), LastCap: int(c.last_cap),
		NoNewPrivileges: c.no_new_privs != 0, Umask: uint32(c.umask),
		SeccompFlags: uint32(c.seccomp_flags), NewCgroupNS: c.new_cgroupns != 0, PreserveFDs: int(c.preserve_fds),
	}
	for i := 0; i < int(c.ngids); i++ {
		p.AdditionalGids = append(p.AdditionalGids, uint32(*(*C.uint32_t)(unsafe.Add(unsafe.Pointer(c.gids), i*4))))
	}
	for i := 0; i < int(c.nrlimits); i++ {
		r := c.rlimits[i]
		p.Rlimits = append(p.Rlimits, Rlimit{uint32(r.resource), uint64(r.soft), uint64(r.hard)})
	}
	if c.oom_score_adj != nil {
		n, err := strconv.Atoi(C.GoString(c.oom_score_adj))
		if err != nil {
			return Plan{}, false
		}
		p.OOMScoreAdj = &n
	}
	if c.filter != nil {
		p.Filter = C.GoBytes(unsafe.Pointer(c.filter), C.int(c.filter_len))
	}
	if c.keyring != nil {
		p.Keyring = C.GoString(c.keyring)
	}
	return p, true
}
