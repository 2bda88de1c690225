// Package hooks runs OCI lifecycle hooks: each gets the container's state
// JSON on stdin, its own args and env, and is killed when its timeout passes.
package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Run runs hs in order and stops at the first failure. kind names the hook
// point (createRuntime, poststart, ...) in errors, as runc words them
// ("error running prestart hook #1: ..."), which tools grep for.
func Run(kind string, hs []specs.Hook, state *specs.State) error {
	return RunWithEnv(kind, hs, state, nil)
}

// RunWithEnv is Run, with env for the hooks that set none: runc runs
// startContainer hooks with the container process's environment (not in
// the runtime-spec, but engines' hooks rely on it).
func RunWithEnv(kind string, hs []specs.Hook, state *specs.State, env []string) error {
	if len(hs) == 0 {
		return nil
	}
	input, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("%s hook: encode state: %w", kind, err)
	}
	for i := range hs {
		if err := run(&hs[i], input, env); err != nil {
			return fmt.Errorf("error running %s hook #%d: %s: %w", kind, i, hs[i].Path, err)
		}
	}
	return nil
}

func run(h *specs.Hook, input []byte, defaultEnv []string) error {
	ctx := context.Background()
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	}
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = defaultEnv
	}
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = bytes.NewReader(input)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A timeout kills the hook's whole process group, and a child left
	// holding its output cannot keep Run waiting.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("timed out after %ds", *h.Timeout)
	}
	if err != nil {
		if msg := strings.TrimSpace(out.String()); msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}
