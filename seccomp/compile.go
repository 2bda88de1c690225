//go:build cgo

package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// notifyForbidden are syscalls that may not be SCMP_ACT_NOTIFY: the runtime
// needs them after the filter is loaded to hand the listener fd on, and a
// notification nobody can receive yet would hang the container's init.
var notifyForbidden = []string{"write", "sendmsg"}

// Compile builds the filter that s describes for every architecture in
// s.Architectures (plus the native one) and exports it as BPF.
//
// Syscall names libseccomp does not know are skipped, as runtimes do, so one
// profile can serve several kernels and architectures; so are architectures
// of the other byte order than the native one (see addArch). Unknown
// actions, operators, flags and architectures are errors. A nil s gives a
// nil Program.
func Compile(s *specs.LinuxSeccomp) (*Program, error) {
	if s == nil {
		return nil, nil
	}
	if s.DefaultAction == "" {
		return nil, fmt.Errorf("linux.seccomp.defaultAction is required")
	}
	defAct, err := actionValue(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp.defaultAction: %w", err)
	}
	fl, err := flagBits(s.Flags)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp.flags: %w", err)
	}
	// TSYNC syncs the filter to the loading process's other threads: init
	// execs right after, which ends them, so it changes nothing (runc
	// ignores it too).
	fl &^= unix.SECCOMP_FILTER_FLAG_TSYNC
	// No flags field at all: the speculative store bypass mitigation that
	// a filter turns on is left off, as without a filter and as runc does.
	// An empty list means no flags.
	if s.Flags == nil && flagSupported(unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW) {
		fl |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
	}
	if s.ListenerMetadata != "" && s.ListenerPath == "" {
		return nil, fmt.Errorf("linux.seccomp.listenerMetadata is set but listenerPath is not; the spec forbids that")
	}

	f, err := newFilter(defAct)
	if err != nil {
		return nil, fmt.Errorf("seccomp default action %s: %w", s.DefaultAction, err)
	}
	defer f.release()
	if err := f.clearLoadAttrs(); err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	for _, a := range s.Architectures {
		tok, ok := arches[a]
		if !ok {
			return nil, fmt.Errorf("linux.seccomp.architectures: unknown or unsupported architecture %q (libseccomp %s knows: %v)", a, LibseccompVersion(), supportedArchs())
		}
		if _, err := f.addArch(tok); err != nil {
			return nil, fmt.Errorf("seccomp: add architecture %s: %w", a, err)
		}
	}

	notify := s.DefaultAction == specs.ActNotify
	// Syscalls that some rule lets through without notifying and without
	// conditions: with a NOTIFY default action, notifyForbidden must be here.
	plain := map[string]bool{}
	var maxNr int32 // the highest native syscall number the profile names
	for _, sc := range s.Syscalls {
		for _, name := range sc.Names {
			if nr, ok := resolve(name); ok {
				maxNr = max(maxNr, nr)
			}
		}
	}
	for i, sc := range s.Syscalls {
		if len(sc.Names) == 0 {
			return nil, fmt.Errorf("linux.seccomp.syscalls[%d]: names must contain at least one syscall", i)
		}
		act, err := actionValue(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("linux.seccomp.syscalls[%d] (%s): %w", i, sc.Names[0], err)
		}
		sets, err := conditionSets(sc.Args)
		if err != nil {
			return nil, fmt.Errorf("linux.seccomp.syscalls[%d] (%s): %w", i, sc.Names[0], err)
		}
		if sc.Action == specs.ActNotify {
			notify = true
			for _, n := range sc.Names {
				if isNotifyForbidden(n) {
					return nil, fmt.Errorf("linux.seccomp.syscalls[%d]: SCMP_ACT_NOTIFY cannot be used for the %s syscall: the runtime needs it to pass the listener fd on after loading the filter", i, n)
				}
			}
		} else if len(sc.Args) == 0 {
			for _, n := range sc.Names {
				plain[n] = true
			}
		}
		if act == defAct {
			// Same as the default: changes nothing, and libseccomp refuses it.
			continue
		}
		for _, name := range sc.Names {
			nr, ok := resolve(name)
			if !ok {
				continue
			}
			for _, conds := range sets {
				if err := f.addRule(act, nr, conds); err != nil {
					return nil, fmt.Errorf("linux.seccomp.syscalls[%d]: add %s rule for %s: %w", i, sc.Action, name, err)
				}
			}
		}
	}

	if s.DefaultAction == specs.ActNotify {
		for _, n := range notifyForbidden {
			if !plain[n] {
				return nil, fmt.Errorf("linux.seccomp: defaultAction SCMP_ACT_NOTIFY needs a rule that lets %s through unconditionally (not NOTIFY): the runtime needs it to pass the listener fd on", n)
			}
		}
	}
	if notify && s.ListenerPath == "" {
		return nil, fmt.Errorf("linux.seccomp uses SCMP_ACT_NOTIFY but listenerPath is not set: nobody would answer the notifications")
	}
	if fl&unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0 && !notify {
		return nil, fmt.Errorf("linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only applies to SCMP_ACT_NOTIFY, which the profile does not use")
	}

	bpf, err := f.exportBPF()
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	allows := s.DefaultAction == specs.ActAllow || s.DefaultAction == specs.ActLog
	return &Program{
		Filter:           append(enosysStub(maxNr, allows), bpf...),
		Flags:            fl,
		Notify:           notify,
		ListenerPath:     s.ListenerPath,
		ListenerMetadata: s.ListenerMetadata,
	}, nil
}

func isNotifyForbidden(name string) bool {
	for _, n := range notifyForbidden {
		if n == name {
			return true
		}
	}
	return false
}
