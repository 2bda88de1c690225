package container

import (
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ListenFDs passes systemd socket activation on to the container: when
// this process was given listening sockets from fd 3 on (LISTEN_FDS, with
// LISTEN_PID our pid), they go on as the container's fds from 3, and its
// environment says so with LISTEN_PID=1, the pid its program has in a new
// PID namespace. It returns how many fds to preserve for them, 0 when
// there is no activation.
func ListenFDs(p *specs.Process) int {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 || os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return 0
	}
	env := []string{"LISTEN_FDS=" + strconv.Itoa(n), "LISTEN_PID=1"}
	if names, ok := os.LookupEnv("LISTEN_FDNAMES"); ok {
		env = append(env, "LISTEN_FDNAMES="+names)
	}
	p.Env = SetEnv(p.Env, env...)
	return n
}

// SetEnv returns env with each KEY=VALUE of kv set, replacing by key (the
// text up to the first "="); it never writes into env's array.
func SetEnv(env []string, kv ...string) []string {
	out := append([]string(nil), env...)
	for _, e := range kv {
		key, _, _ := strings.Cut(e, "=")
		replaced := false
		for i, old := range out {
			if k, _, _ := strings.Cut(old, "="); k == key {
				out[i], replaced = e, true
			}
		}
		if !replaced {
			out = append(out, e)
		}
	}
	return out
}
