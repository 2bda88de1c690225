#ifndef XRT_CRUNTIME_ARENAPROBE_H
#define XRT_CRUNTIME_ARENAPROBE_H

/* How many malloc arenas the process has made, from malloc_info; -1 if it
 * cannot tell. */
int xrt_arenas(void);

/* Malloc and free on a new thread, as the Go runtime's cgo threads do when
 * they start another. 0, or an errno. */
int xrt_malloc_on_thread(void);

#endif
