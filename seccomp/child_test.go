package seccomp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The behavioural tests load filters for real. A filter cannot be removed,
// so each one runs in a child: the test binary re-executed with envChild
// pointing at a childSpec. The child loads the program on a locked thread
// and makes the requested syscalls there; its main goroutine, on other
// threads that the filter does not cover, reports a childResult as JSON.

const envChild = "XRT_SECCOMP_TEST_CHILD"

func TestMain(m *testing.M) {
	if p := os.Getenv(envChild); p != "" {
		os.Exit(childMain(p))
	}
	os.Exit(m.Run())
}

// call is one syscall for the child. When Str is set, argument StrArg is
// replaced by a pointer to Str as a C string.
type call struct {
	Nr     uintptr
	Args   [6]uintptr
	StrArg int
	Str    string
}

type childSpec struct {
	Program *Program
	// NoNNP leaves no_new_privs unset; DropSysAdmin then also drops
	// CAP_SYS_ADMIN from the loading thread, so Load must fail.
	NoNNP, DropSysAdmin bool
	// DialPath: Dial the agent before Load and SendOn after it.
	// SendPath: SendListener after Load. Both send State.
	DialPath, SendPath string
	State              []byte
	Calls              []call
	// OtherCalls run, after Load, on a thread that existed before it.
	OtherCalls []call
	// Wait bounds the wait for the calls (default 10s); a KILL_THREAD
	// victim never reports, which the result shows as TimedOut.
	Wait time.Duration
}

type callResult struct {
	R     uintptr
	Errno int
}

type childResult struct {
	LoadErr  string
	Listener int
	Results  []callResult
	Other    []callResult
	TimedOut bool
}

func childMain(specPath string) int {
	b, err := os.ReadFile(specPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 90
	}
	var cs childSpec
	if err := json.Unmarshal(b, &cs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 90
	}
	// KILL_PROCESS and TRAP must not leave core files behind.
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)

	otherReady, otherGo, otherDone := make(chan struct{}), make(chan struct{}), make(chan []callResult)
	go func() {
		// Locked before Load, so this thread predates the filter.
		runtime.LockOSThread()
		close(otherReady)
		<-otherGo
		otherDone <- doCalls(cs.OtherCalls)
	}()
	<-otherReady
	done := make(chan childResult, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its filter
		done <- loadAndRun(&cs)
	}()
	wait := cs.Wait
	if wait == 0 {
		wait = 10 * time.Second
	}
	var res childResult
	select {
	case res = <-done:
	case <-time.After(wait):
		res.TimedOut = true
	}
	if res.LoadErr == "" && !res.TimedOut {
		close(otherGo)
		res.Other = <-otherDone
	}
	out, _ := json.Marshal(&res)
	os.Stdout.Write(out)
	return 0
}

// loadAndRun does the child's work on its locked thread.
func loadAndRun(cs *childSpec) (res childResult) {
	if cs.DropSysAdmin {
		if err := dropEffectiveSysAdmin(); err != nil {
			res.LoadErr = "drop CAP_SYS_ADMIN: " + err.Error()
			return res
		}
	}
	if !cs.NoNNP {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			res.LoadErr = "no_new_privs: " + err.Error()
			return res
		}
	}
	var conn *os.File
	if cs.DialPath != "" {
		var err error
		if conn, err = Dial(cs.DialPath); err != nil {
			res.LoadErr = err.Error()
			return res
		}
	}
	fd, err := Load(cs.Program)
	res.Listener = fd
	if err != nil {
		res.LoadErr = err.Error()
		return res
	}
	if conn != nil {
		err = SendOn(conn, fd, cs.State)
	} else if cs.SendPath != "" {
		err = SendListener(cs.SendPath, fd, cs.State)
	}
	if err != nil {
		res.LoadErr = "send listener: " + err.Error()
		return res
	}
	res.Results = doCalls(cs.Calls)
	return res
}

func doCalls(calls []call) []callResult {
	var out []callResult
	for _, c := range calls {
		args := c.Args
		var str *byte
		if c.Str != "" {
			str, _ = unix.BytePtrFromString(c.Str)
			args[c.StrArg] = uintptr(unsafe.Pointer(str))
		}
		r, _, errno := unix.Syscall6(c.Nr, args[0], args[1], args[2], args[3], args[4], args[5])
		runtime.KeepAlive(str)
		out = append(out, callResult{R: r, Errno: int(errno)})
	}
	return out
}

func dropEffectiveSysAdmin() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[unix.CAP_SYS_ADMIN/32].Effective &^= 1 << (unix.CAP_SYS_ADMIN % 32)
	return unix.Capset(&hdr, &data[0])
}

// runChild runs cs in a child and returns its report, its exit status and
// its stderr. A child killed by a signal has a zero childResult.
func runChild(t *testing.T, cs childSpec) (childResult, syscall.WaitStatus, string) {
	t.Helper()
	dir := t.TempDir()
	specPath := filepath.Join(dir, "spec.json")
	b, err := json.Marshal(&cs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(specPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envChild+"="+specPath)
	var stdout, stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run child: %v", err)
	}
	st := cmd.ProcessState.Sys().(syscall.WaitStatus)
	var res childResult
	if st.Exited() && st.ExitStatus() == 0 {
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("child report %q: %v (stderr: %s)", stdout.Bytes(), err, stderr.Bytes())
		}
	}
	return res, st, string(stderr.Bytes())
}

// limitedBuffer keeps the first 1 MiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 1<<20 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) Bytes() []byte { return l.b }
