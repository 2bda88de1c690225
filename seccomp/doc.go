// Package seccomp turns the runtime-spec's linux.seccomp into a kernel
// seccomp filter and installs it.
//
// The work is split across two processes on purpose:
//
//   - Compile runs in the runtime on the host (`xrt create`, `xrt exec`). It
//     uses a statically linked libseccomp to build the filter for every
//     requested architecture and exports the raw BPF program into a Program,
//     which is JSON-serializable and travels to the container's init.
//   - Load runs in the container's init right before execve. It is pure Go:
//     one seccomp(2) call with the precompiled program, no libseccomp.
//
// When the profile uses SCMP_ACT_NOTIFY, Load returns the listener fd, which
// must reach the seccomp agent at listenerPath (Dial, SendOn, SendListener;
// see ProcessState for the payload).
package seccomp
