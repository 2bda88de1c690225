// Command recvtty is the console-socket end used by the integration tests:
// it plays the engine's part of `--console-socket`.
//
//	recvtty [--once] [--input STRING] [--output FILE] [--timeout 60s] SOCKETPATH
//
// It listens on SOCKETPATH (a stale socket there is removed first), accepts
// a connection, receives the pty master sent over it with SCM_RIGHTS,
// prints the pty's name (the message's payload) to stderr, writes --input
// to the master (verbatim: in bash use $'echo hi; exit 3\n') and copies
// everything the master reads to --output (default: stdout) until the
// slave side is gone (EIO or EOF, i.e. the container's processes exited).
// The output is what a terminal shows: the echo of the input and "\r\n"
// line ends.
//
// With --once it serves one connection, then exits 0. Without it, it
// serves any number of connections, each concurrently, until SIGINT or
// SIGTERM, then exits 0. Either way it exits 2 once --timeout has passed
// (0 disables it), and 1 on any other failure.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"xrt/console"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "recvtty: "+format+"\n", args...)
}

func run(args []string) int {
	fs := flag.NewFlagSet("recvtty", flag.ContinueOnError)
	once := fs.Bool("once", false, "serve one connection, then exit")
	input := fs.String("input", "", "write `STRING` to each received pty master")
	output := fs.String("output", "", "copy the pty output to `FILE` instead of stdout")
	timeout := fs.Duration("timeout", 60*time.Second, "exit 2 after this long (0: never)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: recvtty [--once] [--input STRING] [--output FILE] [--timeout DURATION] SOCKETPATH")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		if err == nil {
			fs.Usage()
		}
		return 1
	}
	path := fs.Arg(0)

	var out io.Writer = os.Stdout
	if *output != "" {
		f, err := os.OpenFile(*output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			logf("%v", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	out = &lockedWriter{w: out}

	// A stale socket from an earlier run is removed; anything else there
	// is left alone and makes the listen fail.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer l.Close() // removes the socket file

	if *timeout > 0 {
		time.AfterFunc(*timeout, func() {
			logf("timed out after %s", *timeout)
			os.Remove(path)
			os.Exit(2)
		})
	}

	if *once {
		conn, err := l.AcceptUnix()
		if err != nil {
			logf("accept: %v", err)
			return 1
		}
		l.Close()
		if err := serve(conn, *input, out); err != nil {
			logf("%v", err)
			return 1
		}
		return 0
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		l.Close()
	}()
	for {
		conn, err := l.AcceptUnix()
		if errors.Is(err, net.ErrClosed) {
			return 0 // signalled; running copies die with the process
		}
		if err != nil {
			logf("accept: %v", err)
			return 1
		}
		go func() {
			if err := serve(conn, *input, out); err != nil {
				logf("%v", err)
			}
		}()
	}
}

// serve receives a pty master on conn, feeds it input and copies its
// output to out until the slave side is closed.
func serve(conn *net.UnixConn, input string, out io.Writer) error {
	f, err := conn.File()
	conn.Close()
	if err != nil {
		return err
	}
	name, master, err := console.RecvFd(f)
	f.Close()
	if err != nil {
		return err
	}
	defer master.Close()
	fmt.Fprintln(os.Stderr, name)

	if input != "" {
		if _, err := io.WriteString(master, input); err != nil {
			return fmt.Errorf("write input to %s: %w", name, err)
		}
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := master.Read(buf)
		if n > 0 {
			if _, werr := out.Write(buf[:n]); werr != nil {
				return fmt.Errorf("write output: %w", werr)
			}
		}
		if err == io.EOF || errors.Is(err, syscall.EIO) {
			return nil // the slave side is closed: the container is done
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
