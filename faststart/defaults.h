// Names the fast path shares with the Go side: the defaults of the command
// line and the layout of the state directory and of the image store.
// main_test.go (TestFaststartSharesTheGoDefaults) fails when one of them
// no longer matches the Go constant it copies.
#ifndef XRT_FASTSTART_DEFAULTS_H
#define XRT_FASTSTART_DEFAULTS_H

#define XRT_DEFAULT_ROOT "/run/xrt"         // main.defaultRoot
#define XRT_ROOTLESS_ROOT "xrt"             // main.rootlessRootDir, under $XDG_RUNTIME_DIR
#define XRT_STORE_ENV "XRT_STORE"           // main.storeEnv
#define XRT_DEFAULT_STORE "/var/lib/xrt"    // image.DefaultStoreDir
#define XRT_STATE_FILE "state.json"         // container.StateFile
#define XRT_CONFIG_FILE "config.json"       // container.ConfigFile
#define XRT_FIFO_FILE "exec.fifo"           // container.FifoFile
#define XRT_STORE_CONTAINERS "containers"   // image.ContainersDir
#define XRT_STORE_TMP "tmp"                 // image.TmpDir
#define XRT_TMP_CREATING "container-"       // image.CreatingPrefix
#define XRT_TMP_REMOVING "removed-"         // image.RemovingPrefix
#define XRT_FASTDEL_FILE "fastdel"          // container.FastdelFile (an older xrt's record)
#define XRT_FASTDEL_KEY "fastdel"           // State.Fastdel's JSON name
#define XRT_FASTDEL_MAGIC "xrt-fastdel 1"   // container.FastdelMagic
#define XRT_NO_FASTPATH_ENV "XRT_NO_FASTPATH" // set and not empty: no fast path (README.md)

#define XRT_FASTDEL_MAX_DIRS 32             // container.FastdelMaxDirs
#define XRT_FASTDEL_MAX_BYTES 8192          // container.FastdelMaxBytes
#define XRT_FASTDEL_MAX_STATE 65536         // container.FastdelMaxState

#endif
