package sigcatch

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Catch delivers what the process gets, a standard and a real-time
// signal alike, including one whose default is to end the
// process; a signal it leaves to the runtime (SIGWINCH) does not come.
func TestCatchDeliversSignals(t *testing.T) {
	sigs := make(chan os.Signal, 8)
	if err := Catch(sigs); err != nil {
		t.Fatal(err)
	}
	send := []unix.Signal{unix.SIGUSR1, unix.SIGTERM, unix.SIGWINCH, unix.Signal(37), unix.SIGHUP, unix.SIGPIPE}
	for _, s := range send {
		if err := unix.Kill(os.Getpid(), s); err != nil {
			t.Fatal(err)
		}
	}
	want := []unix.Signal{unix.SIGUSR1, unix.SIGTERM, unix.Signal(37), unix.SIGHUP, unix.SIGPIPE}
	var got []unix.Signal
	for len(got) < len(want) {
		select {
		case s := <-sigs:
			got = append(got, s.(unix.Signal))
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	select {
	case s := <-sigs:
		t.Fatalf("got %v more", s)
	case <-time.After(100 * time.Millisecond):
	}
}

// Forwarded is what os/signal's Notify(c) would deliver, but the four
// signals the runtime or a terminal keeps.
func TestForwardedSet(t *testing.T) {
	for _, s := range []unix.Signal{unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH, unix.SIGPROF, unix.SIGKILL, unix.SIGSTOP, unix.SIGSEGV, 32, 33, 34} {
		if slices.Contains(Forwarded, s) {
			t.Errorf("%v is forwarded", s)
		}
	}
	if !slices.Contains(Forwarded, unix.SIGPIPE) {
		t.Errorf("SIGPIPE is not forwarded")
	}
	if len(Forwarded) != 48 {
		t.Errorf("%d signals taken by the handler, want 48 (52 of Notify's less 4)", len(Forwarded))
	}
}

// After Catch, a write to a broken stdout fails with EPIPE: the runtime
// does not make the process die of SIGPIPE, as it does when SIGPIPE is
// neither Notify'd nor ignored. Run in a child, whose stdout is broken.
func TestBrokenStdoutIsAnError(t *testing.T) {
	if os.Getenv("SIGCATCH_EPIPE_CHILD") != "" {
		sigs := make(chan os.Signal, 8)
		if err := Catch(sigs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var p [2]int
		if err := unix.Pipe(p[:]); err != nil {
			os.Exit(3)
		}
		unix.Close(p[0])
		unix.Dup2(p[1], 1)
		_, err := os.Stdout.Write([]byte("x"))
		fmt.Fprintf(os.Stderr, "write: %v\n", err)
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "forwarded: %v\n", s)
		case <-time.After(5 * time.Second):
		}
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenStdoutIsAnError$")
	cmd.Env = append(os.Environ(), "SIGCATCH_EPIPE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v (killed by SIGPIPE?); said %q", err, out)
	}
	for _, want := range []string{"write: write /dev/stdout: broken pipe", "forwarded: broken pipe"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child said %q, want %q", out, want)
		}
	}
}
