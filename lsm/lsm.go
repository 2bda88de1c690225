// Package lsm applies the Linux security module labels of a container's
// process: its AppArmor profile and its SELinux process label. Both are
// set as "on exec" attributes of the calling thread, so they take effect
// at its next execve, the container program's, and never before.
//
// Every write goes through a verified handle on /proc/thread-self
// (pathrs-lite's procfs, which uses a private procfs instance where the
// kernel allows): the container's own /proc, or a fake one in its rootfs,
// cannot redirect it (CVE-2025-52881).
package lsm

import (
	"fmt"
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/opencontainers/selinux/go-selinux"
	"golang.org/x/sys/unix"
)

// AppArmorEnabled reports whether the host runs AppArmor.
func AppArmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && len(b) > 0 && b[0] == 'Y'
}

// SELinuxEnabled reports whether the host runs SELinux.
func SELinuxEnabled() bool { return selinux.GetEnabled() }

// Check says, before anything of the container runs, whether the labels
// can be applied. An AppArmor profile on a host without AppArmor is an
// error; an SELinux label on a host without SELinux means nothing, as
// for every other runtime.
func Check(apparmorProfile, selinuxLabel string) error {
	if apparmorProfile != "" && !AppArmorEnabled() {
		return fmt.Errorf("apparmor profile %q requested, but AppArmor is not enabled on this host: remove process.apparmorProfile (or --apparmor), or enable AppArmor", apparmorProfile)
	}
	return nil
}

// ApplyOnExec makes the calling thread's next execve run under the labels.
// The caller must have locked its goroutine to its thread (the attributes
// belong to the thread) and must exec on it.
func ApplyOnExec(apparmorProfile, selinuxLabel string) error {
	if err := Check(apparmorProfile, selinuxLabel); err != nil {
		return err
	}
	if apparmorProfile != "" {
		if err := apparmorOnExec(apparmorProfile); err != nil {
			return fmt.Errorf("apply apparmor profile %q: %w", apparmorProfile, err)
		}
	}
	if selinuxLabel != "" && selinux.GetEnabled() {
		if err := selinux.SetExecLabel(selinuxLabel); err != nil {
			return fmt.Errorf("apply selinux label %q: %w", selinuxLabel, err)
		}
	}
	return nil
}

// apparmorOnExec writes "exec PROFILE" to the thread's AppArmor exec
// attribute: the newer per-LSM file, or the shared one of older kernels.
func apparmorOnExec(profile string) error {
	f, err := openThreadSelf("attr/apparmor/exec")
	if err != nil {
		f, err = openThreadSelf("attr/exec")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write([]byte("exec " + profile))
	return err
}

// openThreadSelf opens /proc/thread-self/SUB for writing through a
// verified procfs handle.
func openThreadSelf(sub string) (*os.File, error) {
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return nil, err
	}
	defer proc.Close()
	h, closer, err := proc.OpenThreadSelf(sub)
	if err != nil {
		return nil, err
	}
	defer closer()
	defer h.Close()
	return pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
}
