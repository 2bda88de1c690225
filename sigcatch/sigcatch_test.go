package sigcatch

import (
	"os"
	"slices"
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
// signals the runtime or a terminal keeps, and SIGPIPE (Notify's).
func TestForwardedSet(t *testing.T) {
	for _, s := range []unix.Signal{unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH, unix.SIGPROF, unix.SIGPIPE, unix.SIGKILL, unix.SIGSTOP, unix.SIGSEGV, 32, 33, 34} {
		if slices.Contains(Forwarded, s) {
			t.Errorf("%v is forwarded", s)
		}
	}
	if len(Forwarded) != 47 {
		t.Errorf("%d signals taken by the handler, want 47 (52 of Notify's less 5)", len(Forwarded))
	}
}
