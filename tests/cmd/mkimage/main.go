// Command mkimage builds the container images the integration tests and
// the benchmark run: a busybox root in an OCI image layout, optionally with
// layers that exercise the unpacker, many layers, a big layer, an image
// index, or exactly one fault for the error tests. It needs no network.
//
//	mkimage [flags] OUT
//
// OUT is an OCI image layout directory (it must not exist or be empty), or
// with --archive oci an oci-archive tar, with --archive docker a `docker
// save` tar (classic layout: <hex>.json, <hex>/layer.tar, manifest.json;
// layers are plain tars unless --compress is given).
//
// Layers:
//
// --pause BINARY makes a pod sandbox image instead: one layer with /pause
// (the binary) and empty /dev /etc /proc /sys, Entrypoint ["/pause"].
//
//	1  busybox (--busybox): /bin/busybox, a /bin symlink per applet,
//	   /etc/passwd (root, nobody, app 1000:1000 home /home/app),
//	   /etc/group (root, nogroup, app 1000, extra 2000 with member app),
//	   /tmp 1777, /root 0700, empty /proc /sys /dev
//	2  --fixtures: /data/{a,b,c}, /data/dir/x, /opq/{old1,old2}, hard link
//	   /data/hl -> /data/a, symlink /data/sl -> a, /data/suid 04755,
//	   /data/sgid 02775 dir, /data/sticky 01777 dir, /data/owned 1000:2000
//	   0640, /data/xattr with user.xrt=fixture, char device /data/null 1:3,
//	   fifo /data/fifo
//	3  --fixtures: whiteout of /data/b, /opq opaque plus /opq/new, new
//	   /data/c ("c-new\n")
//	+  --layers-extra N: N layers, layer k adds /extra/k ("k\n")
//	+  --big MB: about MB MiB of files under /big
//
// Every entry's mtime is 2001-02-03T04:05:06Z and the same flags always give
// the same digests. --config-json is decoded over the default config
// {"Cmd":["sh"],"Env":["PATH=..."]} (unknown fields are an error).
//
// --break FAULT makes the image wrong in exactly one way (the top layer is
// the one broken):
//
//	missing-blob     the top layer's blob is not in blobs/
//	blob-digest      an extra top layer /broken whose blob content does not
//	                 match its digest (the size matches the content)
//	diffid           the config's last diff_id is wrong
//	truncated-layer  the top layer's blob is cut in half; its descriptor
//	                 describes the cut blob, so only the stream is short
//	media-type       the top layer's media type is ...tar+bzip2
//	traversal        an extra top layer with ../../escape, a symlink
//	                 evil -> / and evil/tmp/escaped
//	no-platform      an image index with linux manifests for two other
//	                 architectures only
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var o options
	fl := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	fl.StringVar(&o.busybox, "busybox", "/bin/busybox", "static busybox `binary` for the base layer")
	fl.StringVar(&o.pause, "pause", "", "make a pod sandbox image instead: this static `binary` as /pause, its entrypoint")
	fl.BoolVar(&o.fixtures, "fixtures", false, "add the unpacker fixture layers")
	fl.StringVar(&o.compress, "compress", compGzip, "layer compression: gzip, zstd, none or mixed (cycles gzip, zstd, none)")
	fl.StringVar(&o.configJSON, "config-json", "", "image config `JSON` decoded over the default config")
	fl.StringVar(&o.tag, "tag", "latest", "org.opencontainers.image.ref.name of the image")
	fl.StringVar(&o.repo, "repo", "xrt-test", "repository of the RepoTag in a docker archive (when --tag has no colon)")
	fl.IntVar(&o.layersExtra, "layers-extra", 0, "add `N` tiny layers")
	fl.IntVar(&o.bigMB, "big", 0, "add a layer of about `MB` MiB")
	fl.BoolVar(&o.platformIndex, "platform-index", false, "wrap the manifest in an image index with a fake second platform")
	fl.StringVar(&o.onlyPlatform, "only-platform", "", "image index with only this `os/arch`")
	fl.StringVar(&o.archive, "archive", "", "write an `oci` or `docker` archive instead of a layout directory")
	fl.StringVar(&o.brk, "break", "", "make the image wrong: `FAULT` is missing-blob, blob-digest, diffid, truncated-layer, media-type, traversal or no-platform")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: mkimage [flags] OUT")
		fl.PrintDefaults()
	}
	if err := fl.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fl.NArg() != 1 {
		fl.Usage()
		os.Exit(2)
	}
	fl.Visit(func(f *flag.Flag) { o.compressSet = o.compressSet || f.Name == "compress" })
	if err := build(o, fl.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}
