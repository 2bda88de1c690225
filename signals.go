package main

import (
	"os"
	"os/signal"
	"syscall"
)

// catchSignals makes every catchable signal arrive on sigs, for a
// foreground run or exec to forward. Registering all of them costs the Go
// runtime a round trip to its signal thread per signal (about 3 ms here),
// so the usual ones are taken at once and the rest while the container is
// being made; the returned func waits until all are.
func catchSignals(sigs chan os.Signal) (wait func()) {
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	done := make(chan struct{})
	go func() {
		signal.Notify(sigs)
		close(done)
	}()
	return func() { <-done }
}
