// Package kernel names the Linux interfaces xrt uses that are newer than
// some supported distributions' kernels, with the release that brought
// each, and turns the ENOSYS of a missing one into an error that says
// which kernel is needed. Features with a fallback (mount_setattr,
// fsconfig's lowerdir+, cgroup.kill, close_range's CLOSE_RANGE_CLOEXEC)
// never get here; see README.md, "Supported kernels".
package kernel

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Minimum is the oldest Linux release xrt runs on: every feature below
// that xrt cannot do without is in it.
const Minimum = "5.7"

// Feature is a kernel interface and the first Linux release that has it.
type Feature struct {
	Name  string
	Since string
}

// The features xrt needs (or needs for one option) and has no fallback for.
var (
	PidfdSendSignal = Feature{"pidfd_send_signal", "5.1"}
	OpenTree        = Feature{"open_tree", "5.2"}
	PidfdOpen       = Feature{"pidfd_open", "5.3"}
	Openat2         = Feature{"openat2", "5.6"}
	CloneIntoCgroup = Feature{"clone3 with CLONE_INTO_CGROUP", "5.7"}
	IDMappedMounts  = Feature{"idmapped mounts (mount_setattr)", "5.12"}
)

// MissingError is a feature the running kernel lacks.
type MissingError struct {
	Feature Feature
	Release string // the running kernel's release
	Err     error
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("this kernel (Linux %s) has no %s: xrt needs Linux %s or later for it (%v)",
		e.Release, e.Feature.Name, e.Feature.Since, e.Err)
}

func (e *MissingError) Unwrap() error { return e.Err }

// Check returns err unchanged unless it is ENOSYS, which it turns into a
// *MissingError for f.
func (f Feature) Check(err error) error {
	if err == nil || !errors.Is(err, unix.ENOSYS) {
		return err
	}
	return &MissingError{Feature: f, Release: Release(), Err: err}
}

// Release is the running kernel's release ("6.1.0-28-amd64").
func Release() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}
