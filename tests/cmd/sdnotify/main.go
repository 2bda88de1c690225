// Command sdnotify plays both ends of systemd's NOTIFY_SOCKET protocol for
// the integration tests:
//
//	sdnotify listen PATH N   bind a datagram socket at PATH, print the first
//	                         N messages (one line each, newlines as "|"), exit
//	sdnotify send MSG        send MSG to $NOTIFY_SOCKET, as sd_notify(3) does
//
// It is built static (CGO_ENABLED=0) so that it runs inside a busybox
// container.
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sdnotify:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 3 && args[0] == "listen":
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		return listen(args[1], n)
	case len(args) == 2 && args[0] == "send":
		return send(os.Getenv("NOTIFY_SOCKET"), args[1])
	}
	return fmt.Errorf("usage: sdnotify listen PATH N | sdnotify send MSG")
}

func listen(path string, n int) error {
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	// A test that never gets its messages must fail, not hang.
	c.SetDeadline(time.Now().Add(60 * time.Second))
	buf := make([]byte, 4096)
	for i := 0; i < n; i++ {
		m, err := c.Read(buf)
		if err != nil {
			return err
		}
		fmt.Println(strings.ReplaceAll(strings.TrimRight(string(buf[:m]), "\n"), "\n", "|"))
	}
	return nil
}

func send(path, msg string) error {
	if path == "" {
		return fmt.Errorf("NOTIFY_SOCKET is not set")
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(msg))
	return err
}
