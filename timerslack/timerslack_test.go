package timerslack

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func slackOf(t *testing.T, tid string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + tid + "/timerslack_ns") // a thread's own, by its id
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The test binary links the wrapper too: one thread, sysmon, sleeps in
// nanosleep with the coarse slack; every other has the caller's.
func TestOnlysysmonSlackHasTheCoarseSlack(t *testing.T) {
	want, ok := caller()
	if !ok {
		t.Skip("started with a slack of 0 (real-time) or at least ours: nothing changed")
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var coarse []string
	for _, task := range tasks {
		switch got := slackOf(t, task.Name()); got {
		case sysmonSlack:
			coarse = append(coarse, task.Name())
		case want:
		default:
			t.Errorf("thread %s has a slack of %d, want %d or the caller's %d", task.Name(), got, sysmonSlack, want)
		}
	}
	if len(coarse) != 1 {
		t.Fatalf("threads with a slack of %d: %v, want one (sysmon)", sysmonSlack, coarse)
	}
	// sysmon's usleep is nanosleep(2) (35 on amd64); no other thread of the
	// runtime sleeps there for long.
	for range 1000 {
		b, err := os.ReadFile("/proc/self/task/" + coarse[0] + "/syscall")
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(b), "35 ") {
			return
		}
	}
	t.Fatalf("thread %s, with the coarse slack, never seen in nanosleep: not sysmon?", coarse[0])
}

// What the process starts gets the caller's slack, from whichever thread.
func TestChildrenGetTheCallersSlack(t *testing.T) {
	want, ok := caller()
	if !ok {
		t.Skip("started with a slack of 0 (real-time) or at least ours: nothing changed")
	}
	for range 20 {
		out, err := exec.Command("cat", "/proc/self/timerslack_ns").Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != strconv.Itoa(want) {
			t.Fatalf("a child has a slack of %s, want the caller's %d", got, want)
		}
	}
}
