package main

import (
	"os"
	"time"

	"xrt/console"
)

// attachTerminal connects the caller's stdio to a container's pty master
// (foreground run/exec with process.terminal and no console socket): raw
// mode and window size when stdin is a terminal, bytes both ways. The
// returned func waits for the output to drain and restores the terminal.
func attachTerminal(master *os.File) func() {
	restore := func() error { return nil }
	stopWinsize := func() {}
	if console.IsTerminal(os.Stdin) {
		if r, err := console.SetRaw(os.Stdin); err == nil {
			restore = r
		}
		stopWinsize = console.ForwardWinsize(os.Stdin, master)
	}
	done := console.Proxy(master, os.Stdin, os.Stdout)
	return func() {
		// Other holders of the pty (a background job of the container)
		// may keep it open: do not wait for them forever.
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		stopWinsize()
		restore()
		master.Close()
	}
}
