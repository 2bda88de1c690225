package console

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// SetRaw puts the terminal f into raw mode (what cfmakeraw(3) does) and
// returns a func that puts back the settings f had before. The restore
// func may be called more than once.
func SetRaw(f *os.File) (restore func() error, err error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, fmt.Errorf("raw mode on %s: TCGETS: %w", f.Name(), err)
	}
	raw := *old
	// Input: no break handling, no parity marking or stripping, no CR/NL
	// translation, no XON/XOFF flow control.
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP |
		unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	// Output: no post-processing (no NL -> CR NL).
	raw.Oflag &^= unix.OPOST
	// Local: no echo, no line editing, no signal keys, no extended keys.
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	// Control: 8-bit characters, no parity.
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	// A read returns as soon as one byte is there.
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, fmt.Errorf("raw mode on %s: TCSETS: %w", f.Name(), err)
	}
	restore = func() error {
		if err := unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, old); err != nil {
			return fmt.Errorf("restore terminal %s: TCSETS: %w", f.Name(), err)
		}
		return nil
	}
	return restore, nil
}

// ClearONLCR turns off the NL -> CR NL translation of the pty whose
// master (or slave) f is.
func ClearONLCR(f *os.File) error {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("clear ONLCR on %s: TCGETS: %w", f.Name(), err)
	}
	t.Oflag &^= unix.ONLCR
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("clear ONLCR on %s: TCSETS: %w", f.Name(), err)
	}
	return nil
}

// Proxy copies in to master and master to out, each in its own goroutine.
// done is closed once master's output is over: a read returned EOF or EIO
// (EIO is what a pty master reads once every fd of its slave is closed,
// i.e. when the container's processes are gone) or any other error, or out
// refused a write. The in -> master copy is not waited for: it ends at the
// next read of in after master is closed, or with the program. A nil in
// copies nothing; the end of in is not passed on to master.
func Proxy(master *os.File, in io.Reader, out io.Writer) (done <-chan struct{}) {
	ch := make(chan struct{})
	if in != nil {
		go func() {
			_, _ = io.Copy(master, in)
		}()
	}
	go func() {
		defer close(ch)
		buf := make([]byte, 32*1024)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				if _, werr := out.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				// io.EOF, EIO (slave hung up) and anything else all end it.
				return
			}
		}
	}()
	return ch
}
