package console

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const helperEnv = "XRT_CONSOLE_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "ctty" {
		os.Exit(cttyHelper())
	}
	os.Exit(m.Run())
}

// cttyHelper runs in a child started with Setsid and the pty slave as fd 3:
// it makes the slave its terminal and reports on it through the terminal.
func cttyHelper() int {
	slave := os.NewFile(3, "slave")
	if err := MakeControlling(slave); err != nil {
		fmt.Fprintf(os.Stderr, "MakeControlling: %v\n", err)
		return 1
	}
	slave.Close()
	for fd := 0; fd <= 2; fd++ {
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
			fmt.Printf("fd %d is not a terminal: %v\n", fd, err)
			return 1
		}
	}
	// /dev/tty opens only for a process with a controlling terminal.
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		fmt.Printf("open /dev/tty: %v\n", err)
		return 1
	}
	tty.Close()
	sid, err := unix.IoctlGetInt(0, unix.TIOCGSID)
	if err != nil || sid != os.Getpid() {
		fmt.Printf("TIOCGSID = %d, %v; want %d\n", sid, err, os.Getpid())
		return 1
	}
	fmt.Println("ctty-ok")
	return 0
}

func newPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, slave, err := NewPty("/dev/ptmx")
	if err != nil {
		t.Fatalf("NewPty: %v", err)
	}
	t.Cleanup(func() {
		master.Close()
		slave.Close()
	})
	return master, slave
}

// readUntil reads from f until what has been read contains want, and
// fails the test after a few seconds.
func readUntil(t *testing.T, f io.Reader, want string) string {
	t.Helper()
	type result struct {
		got string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var got []byte
		buf := make([]byte, 256)
		for {
			n, err := f.Read(buf)
			got = append(got, buf[:n]...)
			if bytes.Contains(got, []byte(want)) || err != nil {
				ch <- result{string(got), err}
				return
			}
		}
	}()
	select {
	case r := <-ch:
		if !strings.Contains(r.got, want) {
			t.Fatalf("read %q then %v; want %q", r.got, r.err, want)
		}
		return r.got
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out reading %q", want)
	}
	return ""
}

func isCloexec(t *testing.T, f *os.File) bool {
	t.Helper()
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
	if err != nil {
		t.Fatalf("F_GETFD: %v", err)
	}
	return flags&unix.FD_CLOEXEC != 0
}

func socketpair(t *testing.T) (a, b *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	a, b = os.NewFile(uintptr(fds[0]), "a"), os.NewFile(uintptr(fds[1]), "b")
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return a, b
}

func TestNewPty(t *testing.T) {
	master, slave := newPty(t)
	if !regexp.MustCompile(`^/dev/pts/[0-9]+$`).MatchString(slave.Name()) {
		t.Errorf("slave name %q, want /dev/pts/N", slave.Name())
	}
	if !isCloexec(t, master) || !isCloexec(t, slave) {
		t.Errorf("master or slave not close-on-exec")
	}
	// The slave is the pty the name says.
	var stName, stSlave unix.Stat_t
	if err := unix.Stat(slave.Name(), &stName); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(int(slave.Fd()), &stSlave); err != nil {
		t.Fatal(err)
	}
	if stName.Rdev != stSlave.Rdev {
		t.Errorf("slave rdev %x, %s has %x", stSlave.Rdev, slave.Name(), stName.Rdev)
	}

	// slave -> master (ONLCR turns \n into \r\n).
	if _, err := slave.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, master, "hello\r\n")
	// master -> slave (a canonical-mode line).
	if _, err := master.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	if got := readUntil(t, slave, "ping\n"); got != "ping\n" {
		t.Errorf("slave read %q", got)
	}
}

func TestNewPtyErrors(t *testing.T) {
	_, _, err := NewPty("/nonexistent/ptmx")
	if !errors.Is(err, unix.ENOENT) || !strings.Contains(err.Error(), "/nonexistent/ptmx") {
		t.Errorf("NewPty(missing) = %v", err)
	}
	// Not a pty multiplexer.
	_, _, err = NewPty("/dev/null")
	if err == nil || !strings.Contains(err.Error(), "TIOCSPTLCK") {
		t.Errorf("NewPty(/dev/null) = %v", err)
	}
}

func TestPtsDir(t *testing.T) {
	for in, want := range map[string]string{
		"/dev/pts/ptmx":  "/dev/pts",
		"/dev/ptmx":      "/dev/pts",
		"/dev/pts//ptmx": "/dev/pts",
		"/x/dev/ptmx":    "/x/dev/pts",
	} {
		if got := ptsDir(in); got != want {
			t.Errorf("ptsDir(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSetSize(t *testing.T) {
	master, slave := newPty(t)
	if err := SetSize(master, 24, 80); err != nil {
		t.Fatal(err)
	}
	ws, err := unix.IoctlGetWinsize(int(slave.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Row != 24 || ws.Col != 80 {
		t.Errorf("slave winsize %dx%d, want 24x80", ws.Row, ws.Col)
	}
	if err := SetSize(slave, 50, 132); err != nil {
		t.Fatal(err)
	}
	if h, w, err := GetSize(master); err != nil || h != 50 || w != 132 {
		t.Errorf("GetSize = %d, %d, %v; want 50, 132", h, w, err)
	}
	if err := SetSize(slave, 70000, 1); err == nil {
		t.Errorf("SetSize(70000 rows) succeeded")
	}
	null, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if err := SetSize(null, 1, 1); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("SetSize(/dev/null) = %v, want ENOTTY", err)
	}
}

func TestSendRecvSocketpair(t *testing.T) {
	master, slave := newPty(t)
	a, b := socketpair(t)
	if err := SendFdOn(a, slave.Name(), master); err != nil {
		t.Fatal(err)
	}
	name, got, err := RecvFd(b)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if name != slave.Name() || got.Name() != name {
		t.Errorf("received name %q (file %q), want %q", name, got.Name(), slave.Name())
	}
	if !isCloexec(t, got) {
		t.Errorf("received fd not close-on-exec")
	}
	master.Close() // the received fd alone is the master now

	if _, err := slave.Write([]byte("from-slave\n")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, got, "from-slave\r\n")
	if _, err := got.Write([]byte("from-master\n")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, slave, "from-master\n")
}

// A nonblocking socket makes a pollable *os.File (as a net.UnixConn's
// File() or an fd handed down by a Go parent may be).
func TestSendRecvNonblocking(t *testing.T) {
	master, slave := newPty(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := os.NewFile(uintptr(fds[0]), "a"), os.NewFile(uintptr(fds[1]), "b")
	defer a.Close()
	defer b.Close()

	type result struct {
		name string
		f    *os.File
		err  error
	}
	ch := make(chan result, 1)
	go func() { // RecvFd waits in the poller until the message comes
		n, f, err := RecvFd(b)
		ch <- result{n, f, err}
	}()
	time.Sleep(50 * time.Millisecond)
	if err := SendFdOn(a, slave.Name(), master); err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil || r.name != slave.Name() {
		t.Fatalf("RecvFd = %q, %v", r.name, r.err)
	}
	defer r.f.Close()
	if _, err := slave.Write([]byte("nb\n")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, r.f, "nb\r\n")
}

func listen(t *testing.T, path string) (accepted <-chan *os.File) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	ch := make(chan *os.File, 1)
	go func() {
		defer l.Close()
		c, err := l.AcceptUnix()
		if err != nil {
			ch <- nil
			return
		}
		f, err := c.File()
		c.Close()
		if err != nil {
			ch <- nil
			return
		}
		ch <- f
	}()
	t.Cleanup(func() { l.Close() })
	return ch
}

func TestSendFdListening(t *testing.T) {
	master, slave := newPty(t)
	path := filepath.Join(t.TempDir(), "console.sock")
	accepted := listen(t, path)
	if err := SendFd(path, slave.Name(), master); err != nil {
		t.Fatal(err)
	}
	conn := <-accepted
	if conn == nil {
		t.Fatal("accept failed")
	}
	defer conn.Close()
	name, got, err := RecvFd(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if name != slave.Name() {
		t.Errorf("name %q, want %q", name, slave.Name())
	}
	if _, err := got.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, slave, "x\n")
}

func TestSendFdLongPath(t *testing.T) {
	master, slave := newPty(t)
	dir := t.TempDir()
	short := filepath.Join(dir, "s")
	accepted := listen(t, short)
	long := filepath.Join(dir, strings.Repeat("d", 100), strings.Repeat("e", 40))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(long, "console.sock")
	if len(path) < maxSunPath {
		t.Fatalf("path %q is not long", path)
	}
	// A socket stays reachable at its new name after a rename.
	if err := os.Rename(short, path); err != nil {
		t.Fatal(err)
	}
	if err := SendFd(path, slave.Name(), master); err != nil {
		t.Fatal(err)
	}
	conn := <-accepted
	if conn == nil {
		t.Fatal("accept failed")
	}
	defer conn.Close()
	name, got, err := RecvFd(conn)
	if err != nil {
		t.Fatal(err)
	}
	got.Close()
	if name != slave.Name() {
		t.Errorf("name %q, want %q", name, slave.Name())
	}
}

func TestSendFdErrors(t *testing.T) {
	master, slave := newPty(t)
	path := filepath.Join(t.TempDir(), "missing.sock")
	err := SendFd(path, slave.Name(), master)
	want := "console socket " + path + ": connect: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("SendFd(missing) = %v, want %q", err, want)
	}
	if !errors.Is(err, unix.ENOENT) {
		t.Errorf("error does not wrap ENOENT: %v", err)
	}
	a, _ := socketpair(t)
	if err := SendFdOn(a, "", master); err == nil {
		t.Errorf("SendFdOn with an empty name succeeded")
	}
}

func TestRecvFdErrors(t *testing.T) {
	master, slave := newPty(t)

	// Peer closes without sending anything.
	a, b := socketpair(t)
	a.Close()
	if _, _, err := RecvFd(b); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("RecvFd after close = %v, want unexpected EOF", err)
	}

	// A message without an fd.
	a, b = socketpair(t)
	if _, err := a.Write([]byte("/dev/pts/9")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := RecvFd(b); err == nil || !strings.Contains(err.Error(), "got 0 fds") {
		t.Errorf("RecvFd without fd = %v", err)
	}

	// Two fds: refused, and none left open.
	a, b = socketpair(t)
	rights := unix.UnixRights(int(master.Fd()), int(slave.Fd()))
	if err := unix.Sendmsg(int(a.Fd()), []byte("/dev/pts/9"), rights, nil, 0); err != nil {
		t.Fatal(err)
	}
	before := openFds(t)
	if _, _, err := RecvFd(b); err == nil || !strings.Contains(err.Error(), "got 2 fds") {
		t.Errorf("RecvFd with two fds = %v", err)
	}
	if after := openFds(t); after != before {
		t.Errorf("%d fds open after RecvFd, %d before", after, before)
	}

	// A NUL-terminated name (C senders) is trimmed.
	a, b = socketpair(t)
	if err := unix.Sendmsg(int(a.Fd()), []byte("/dev/pts/9\x00"), unix.UnixRights(int(master.Fd())), nil, 0); err != nil {
		t.Fatal(err)
	}
	name, f, err := RecvFd(b)
	if err != nil || name != "/dev/pts/9" {
		t.Errorf("RecvFd = %q, %v", name, err)
	}
	if f != nil {
		f.Close()
	}
}

func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestSetRaw(t *testing.T) {
	_, slave := newPty(t)
	if !IsTerminal(slave) {
		t.Fatal("IsTerminal(slave) = false")
	}
	orig, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if orig.Lflag&(unix.ICANON|unix.ECHO) != unix.ICANON|unix.ECHO {
		t.Fatalf("new pty not canonical with echo: lflag %#x", orig.Lflag)
	}
	restore, err := SetRaw(slave)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG|unix.IEXTEN) != 0 {
		t.Errorf("raw lflag %#x still has ICANON/ECHO/ISIG/IEXTEN", raw.Lflag)
	}
	if raw.Oflag&unix.OPOST != 0 || raw.Iflag&(unix.ICRNL|unix.IXON) != 0 {
		t.Errorf("raw oflag %#x iflag %#x", raw.Oflag, raw.Iflag)
	}
	if raw.Cflag&unix.CSIZE != unix.CS8 || raw.Cc[unix.VMIN] != 1 || raw.Cc[unix.VTIME] != 0 {
		t.Errorf("raw cflag %#x vmin %d vtime %d", raw.Cflag, raw.Cc[unix.VMIN], raw.Cc[unix.VTIME])
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	back, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *back != *orig {
		t.Errorf("restored termios %+v, want %+v", *back, *orig)
	}
	if err := restore(); err != nil {
		t.Errorf("second restore: %v", err)
	}

	null, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if IsTerminal(null) {
		t.Error("IsTerminal(/dev/null) = true")
	}
	if _, err := SetRaw(null); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("SetRaw(/dev/null) = %v, want ENOTTY", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProxy(t *testing.T) {
	master, slave := newPty(t)
	var out syncBuffer
	done := Proxy(master, strings.NewReader("input-line\n"), &out)
	readUntil(t, slave, "input-line\n")
	if _, err := slave.Write([]byte("output-line\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		t.Fatal("done before the slave closed")
	case <-time.After(100 * time.Millisecond):
	}
	slave.Close() // the master now reads EIO
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Proxy did not finish after the slave closed")
	}
	if got := out.String(); !strings.Contains(got, "output-line\r\n") {
		t.Errorf("proxied output %q", got)
	}
}

func TestForwardWinsize(t *testing.T) {
	_, from := newPty(t)
	to, toSlave := newPty(t)
	if err := SetSize(from, 30, 100); err != nil {
		t.Fatal(err)
	}
	stop := ForwardWinsize(from, to)
	defer stop()
	if h, w, _ := GetSize(toSlave); h != 30 || w != 100 {
		t.Errorf("size after ForwardWinsize %dx%d, want 30x100", h, w)
	}
	if err := SetSize(from, 40, 120); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, w, _ := GetSize(toSlave)
		if h == 40 && w == 120 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("size after SIGWINCH %dx%d, want 40x120", h, w)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	stop()
	// Stopped: no more forwarding.
	if err := SetSize(from, 10, 10); err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGWINCH)
	time.Sleep(50 * time.Millisecond)
	if h, w, _ := GetSize(toSlave); h != 40 || w != 120 {
		t.Errorf("size changed to %dx%d after stop", h, w)
	}
}

func TestMakeControlling(t *testing.T) {
	master, slave := newPty(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=ctty")
	cmd.ExtraFiles = []*os.File{slave}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close() // the child's copies are the only ones now
	out := readUntil(t, master, "\n")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v: %s%s", err, out, stderr.String())
	}
	if !strings.Contains(out, "ctty-ok") {
		t.Errorf("helper said %q (stderr %q)", out, stderr.String())
	}
}

func TestMakeControllingNotLeader(t *testing.T) {
	if sid, _ := unix.Getsid(0); sid == os.Getpid() {
		t.Skip("the test process is a session leader")
	}
	_, slave := newPty(t)
	if err := MakeControlling(slave); !errors.Is(err, unix.EPERM) {
		t.Errorf("MakeControlling outside a new session = %v, want EPERM", err)
	}
}
