// Command pause is the pod sandbox's program in the CRI tests: it sleeps
// until SIGTERM or SIGINT and, as PID 1 of a pod's shared PID namespace,
// reaps the orphans the pod's containers leave. mkimage --pause puts it in
// an image of its own (the sandbox image), so no registry is needed.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
