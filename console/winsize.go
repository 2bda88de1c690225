package console

import (
	"fmt"
	"math"
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// SetSize sets the window size of the terminal f (either side of a pty)
// to height rows and width columns, as process.consoleSize asks.
func SetSize(f *os.File, height, width uint) error {
	if height > math.MaxUint16 || width > math.MaxUint16 {
		return fmt.Errorf("set size of %s: %dx%d is too large (at most %d)", f.Name(), height, width, math.MaxUint16)
	}
	ws := &unix.Winsize{Row: uint16(height), Col: uint16(width)}
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return fmt.Errorf("set size of %s: TIOCSWINSZ: %w", f.Name(), err)
	}
	return nil
}

// GetSize returns the window size of the terminal f.
func GetSize(f *os.File) (height, width uint, err error) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, fmt.Errorf("size of %s: TIOCGWINSZ: %w", f.Name(), err)
	}
	return uint(ws.Row), uint(ws.Col), nil
}

// ForwardWinsize copies the window size of the terminal from to the
// terminal to (normally: the caller's terminal to the container's pty
// master) now and on every SIGWINCH, until stop is called. Failures are
// ignored: from need not be a terminal, and to may be gone. stop may be
// called more than once; it returns once forwarding has stopped.
func ForwardWinsize(from, to *os.File) (stop func()) {
	copySize := func() {
		ws, err := unix.IoctlGetWinsize(int(from.Fd()), unix.TIOCGWINSZ)
		if err != nil {
			return
		}
		_ = unix.IoctlSetWinsize(int(to.Fd()), unix.TIOCSWINSZ, ws)
	}

	sigs := make(chan os.Signal, 1)
	quit := make(chan struct{})
	finished := make(chan struct{})
	signal.Notify(sigs, unix.SIGWINCH)
	copySize()
	go func() {
		defer close(finished)
		for {
			select {
			case <-sigs:
				copySize()
			case <-quit:
				return
			}
		}
	}()

	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(quit)
			<-finished
		})
	}
}
