package handshake

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pair returns both ends as Conns, closed when the test ends.
func pair(t *testing.T) (parent, child *Conn) {
	t.Helper()
	p, c, err := Pair()
	if err != nil {
		t.Fatalf("Pair: %v", err)
	}
	child = &Conn{c}
	t.Cleanup(func() { p.Close(); c.Close() })
	return p, child
}

// recv is Recv with a deadline, so a lost message fails instead of hanging.
func recv(t *testing.T, c *Conn) (Msg, error) {
	t.Helper()
	type result struct {
		m   Msg
		err error
	}
	ch := make(chan result, 1)
	go func() {
		m, err := c.Recv()
		ch <- result{m, err}
	}()
	select {
	case r := <-ch:
		return r.m, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Recv did not return within 10s")
		return Msg{}, nil
	}
}

func TestPair(t *testing.T) {
	p, c, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer c.Close()
	for name, fd := range map[string]int{"parent": int(p.f.Fd()), "child": int(c.Fd())} {
		typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
		if err != nil || typ != unix.SOCK_SEQPACKET {
			t.Errorf("%s end: SO_TYPE = %d, %v; want SOCK_SEQPACKET", name, typ, err)
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("%s end: FD_CLOEXEC not set (flags %#x, %v)", name, flags, err)
		}
	}
}

func TestFromFD(t *testing.T) {
	parent, c, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer parent.Close()
	// As init gets it: a bare inherited fd number.
	fd, err := unix.Dup(int(c.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	child := FromFD(fd)
	defer child.Close()
	if err := child.Send(Msg{Type: Pid, Pid: 7}); err != nil {
		t.Fatal(err)
	}
	if m, err := recv(t, parent); err != nil || !reflect.DeepEqual(m, Msg{Type: Pid, Pid: 7}) {
		t.Errorf("got %+v, %v", m, err)
	}
}

func TestRoundTrip(t *testing.T) {
	parent, child := pair(t)
	state := json.RawMessage(`{"ociVersion":"1.2.0","id":"x","status":"creating","pid":42,"bundle":"/b"}`)
	for _, m := range []Msg{
		{Type: Go},
		{Type: UserMap, Pid: 1234},
		{Type: Ack},
		{Type: Pid, Pid: 99999},
		{Type: State, State: state},
		{Type: Hooks},
		{Type: Ready},
		{Type: Error, Message: "something \"failed\"\nbadly: ünïcödé"},
	} {
		t.Run(m.Type, func(t *testing.T) {
			// Both ways: parent to child and child to parent.
			for _, dir := range []struct {
				name     string
				from, to *Conn
			}{{"parent→child", parent, child}, {"child→parent", child, parent}} {
				if err := dir.from.Send(m); err != nil {
					t.Fatalf("%s: Send: %v", dir.name, err)
				}
				got, err := recv(t, dir.to)
				if err != nil {
					t.Fatalf("%s: Recv: %v", dir.name, err)
				}
				if !reflect.DeepEqual(got, m) {
					t.Errorf("%s: got %+v, want %+v", dir.name, got, m)
				}
			}
		})
	}
}

func TestMessagesKeepTheirOrderAndBoundaries(t *testing.T) {
	parent, child := pair(t)
	// Several packets queued before any is read: each Recv gets exactly one.
	want := []Msg{{Type: Pid, Pid: 1}, {Type: Ack}, {Type: Ready}}
	for _, m := range want {
		if err := child.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range want {
		got, err := recv(t, parent)
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Errorf("message %d: %+v, %v; want %+v", i, got, err, w)
		}
	}
}

func TestSendError(t *testing.T) {
	parent, child := pair(t)
	if err := child.SendError(errors.New("mount /proc: permission denied")); err != nil {
		t.Fatal(err)
	}
	got, err := recv(t, parent)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Msg{Type: Error, Message: "mount /proc: permission denied"}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestRecvAfterPeerClosed(t *testing.T) {
	parent, child := pair(t)
	// A message sent before the close is still delivered, then EOF.
	if err := child.Send(Msg{Type: Ready}); err != nil {
		t.Fatal(err)
	}
	if err := child.Close(); err != nil {
		t.Fatal(err)
	}
	if m, err := recv(t, parent); err != nil || m.Type != Ready {
		t.Fatalf("first Recv = %+v, %v; want ready", m, err)
	}
	for i := 0; i < 2; i++ {
		if m, err := recv(t, parent); err != io.EOF {
			t.Fatalf("Recv %d after the peer closed = %+v, %v; want io.EOF itself", i, m, err)
		}
	}
	// Sending to a closed peer fails and names the message.
	err := parent.Send(Msg{Type: Ack})
	if err == nil || !strings.HasPrefix(err.Error(), "send ack: ") {
		t.Errorf("Send to a closed peer = %v, want a \"send ack: ...\" error", err)
	}
}

func TestRecvBadMessage(t *testing.T) {
	parent, child := pair(t)
	if _, err := child.f.Write([]byte("not json")); err != nil {
		t.Fatal(err)
	}
	_, err := recv(t, parent)
	if err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), `bad message "not json"`) {
		t.Errorf("Recv of garbage = %v, want a bad message error", err)
	}
}

// bigState is valid JSON of about n bytes.
func bigState(n int) json.RawMessage {
	return json.RawMessage(`{"ociVersion":"1.2.0","id":"big","annotations":{"pad":"` + strings.Repeat("x", n) + `"}}`)
}

func TestLargeState(t *testing.T) {
	parent, child := pair(t)
	want := Msg{Type: State, State: bigState(60 << 10)}
	// Interleaved with small messages: SEQPACKET keeps each packet whole.
	for _, m := range []Msg{{Type: Ack}, want, {Type: Ready}} {
		if err := parent.Send(m); err != nil {
			t.Fatalf("Send %s: %v", m.Type, err)
		}
	}
	if m, err := recv(t, child); err != nil || m.Type != Ack {
		t.Fatalf("first = %+v, %v", m, err)
	}
	got, err := recv(t, child)
	if err != nil {
		t.Fatalf("Recv of a 60 KB state: %v", err)
	}
	if got.Type != State || len(got.State) != len(want.State) || string(got.State) != string(want.State) {
		t.Errorf("60 KB state: got type %q, %d bytes; want %d bytes, unchanged", got.Type, len(got.State), len(want.State))
	}
	if m, err := recv(t, child); err != nil || m.Type != Ready {
		t.Errorf("after the big one = %+v, %v; want ready", m, err)
	}
}

// TestStateOver64KiB: a state with large annotations arrives whole (Recv
// peeks at the packet's size instead of reading into a fixed buffer).
func TestStateOver64KiB(t *testing.T) {
	parent, child := pair(t)
	m := Msg{Type: State, State: bigState(70 << 10)}
	if err := parent.Send(m); err != nil {
		t.Skipf("Send of a 70 KiB packet failed (socket buffer): %v", err)
	}
	got, err := recv(t, child)
	if err == nil && string(got.State) == string(m.State) {
		return
	}
	t.Errorf("a message over 64 KiB does not survive Recv (got %d bytes, error %.80q...)", len(got.State), err)
}

func TestConcurrentSends(t *testing.T) {
	parent, child := pair(t)
	const perSender = 200
	payload := map[int]json.RawMessage{
		1: bigState(20 << 10),
		2: bigState(30 << 10),
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for sender := 1; sender <= 2; sender++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perSender; i++ {
				if err := parent.Send(Msg{Type: State, Pid: sender*100000 + i, State: payload[sender]}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	next := map[int]int{1: 0, 2: 0}
	for n := 0; n < 2*perSender; n++ {
		m, err := recv(t, child)
		if err != nil {
			t.Fatalf("Recv %d: %v", n, err)
		}
		sender, i := m.Pid/100000, m.Pid%100000
		if _, ok := payload[sender]; !ok || m.Type != State {
			t.Fatalf("Recv %d: unexpected %s pid %d", n, m.Type, m.Pid)
		}
		if string(m.State) != string(payload[sender]) {
			t.Fatalf("Recv %d: sender %d's state arrived cut or mixed (%d bytes)", n, sender, len(m.State))
		}
		// Each sender's messages arrive in its own order.
		if i != next[sender] {
			t.Fatalf("Recv %d: sender %d message %d, want %d", n, sender, i, next[sender])
		}
		next[sender]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Send: %v", err)
	}
}

func TestSendFdRecvFd(t *testing.T) {
	parent, child, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer parent.Close()
	c := FromFD(int(child.Fd()))
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := parent.SendFd(Msg{Type: MountSource, Path: "/x"}, int(f.Fd())); err != nil {
		t.Fatal(err)
	}
	m, fd, err := c.RecvFd()
	if err != nil || m.Type != MountSource || m.Path != "/x" || fd < 0 {
		t.Fatalf("RecvFd = %+v, %d, %v", m, fd, err)
	}
	var a, b unix.Stat_t
	unix.Fstat(fd, &a)
	unix.Fstat(int(f.Fd()), &b)
	if a.Rdev != b.Rdev || a.Ino != b.Ino {
		t.Errorf("received fd is not the one sent")
	}
	unix.Close(fd)
	// A message without an fd reads as fd -1.
	if err := parent.Send(Msg{Type: MountSource, Message: "no"}); err != nil {
		t.Fatal(err)
	}
	if m, fd, err := c.RecvFd(); err != nil || fd != -1 || m.Message != "no" {
		t.Errorf("RecvFd without an fd = %+v, %d, %v", m, fd, err)
	}
}
