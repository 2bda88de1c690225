#!/usr/bin/env bats
# Image mode: create/run --image unpack an OCI image into the layer store
# (once per layer) and run it on an overlay (init layer and upper dir per
# container), with the image config merged into the spec.  The images are
# built by tests/cmd/mkimage; the store is per test, under $BUNDLE, so the
# leak checks of teardown cover its mounts.

load ../helpers

setup_file() {
	xrt_setup_file
	[ -x "$TESTBIN/mkimage" ] || skip "tests/bin/mkimage missing: run 'make testbin'"
	local i=$BATS_FILE_TMPDIR/images
	mkdir -p "$i"
	"$TESTBIN/mkimage" --fixtures --compress mixed \
		--config-json '{"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo from-cmd; id -u; pwd"], "Env": ["PATH=/usr/bin:/bin", "IMG=image", "SHARED=image"],
			"WorkingDir": "/data", "User": "app", "Labels": {"org.example.label": "lab"}, "StopSignal": "SIGUSR1",
			"Volumes": {"/vol": {}}}' "$i/app" >&2
	"$TESTBIN/mkimage" --fixtures "$i/fix" >&2
	"$TESTBIN/mkimage" --archive oci "$i/plain.oci.tar" >&2
	"$TESTBIN/mkimage" --archive docker --tag v1 "$i/plain.docker.tar" >&2
	"$TESTBIN/mkimage" --platform-index "$i/multi" >&2
}

setup() {
	xrt_setup
	STORE=$BUNDLE/store
	export XRT_STORE=$STORE # for xrt_create and friends
	IMAGES=$BATS_FILE_TMPDIR/images
	rm -f "$BUNDLE/config.json" # image mode starts from xrt's default spec
}

teardown() {
	if [ -n "${OTHER_ROOT:-}" ]; then
		"$XRT" --root "$OTHER_ROOT" --store "$STORE" delete -f "$CID" >/dev/null 2>&1 || true
	fi
	xrt_teardown
	for d in /sys/fs/cgroup/*/"xrt-other-$$"; do
		[ ! -d "$d" ] || rmdir "$d" 2>/dev/null || true
	done
}

# xs ARGS...: xrt with this test's root and store.
xs() {
	xrt --store "$STORE" "$@"
}

# overlays MOUNTINFO: the mount points of the overlay mounts in it.
overlays() {
	awk '{for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "overlay") print $5; break }}' "$1"
}

# layer_dirs: how many layers the store holds.
layer_dirs() {
	find "$STORE/layers" -mindepth 1 -maxdepth 1 -type d | wc -l
}

@test "image: run --image merges the image config: entrypoint+cmd, env, workdir, user by name" {
	run xs run --image "$IMAGES/app" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-cmd ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = /data ]
	# args after the id replace Cmd; the entrypoint stays.
	run xs run --image "$IMAGES/app" "$CID-2" -- 'echo "$IMG $SHARED $PATH"; id -G'
	echo "$output"
	[ "${lines[0]}" = "image image /usr/bin:/bin" ]
	# app is in group 2000 ("extra") by /etc/group.
	[ "$(tr ' ' '\n' <<<"${lines[1]}" | sort -n | tr '\n' ' ')" = "1000 2000 " ]
}

@test "image: a config.json in the bundle wins where it sets a value" {
	"$XRT" spec -b "$BUNDLE"
	update_config '.process.terminal = false | .process.env = ["PATH=/bin", "SHARED=bundle"] | .process.cwd = "/tmp" | del(.process.args) | .hostname = "from-bundle"'
	run xs run --image "$IMAGES/app" -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-cmd ]
	# user from config.json (root), cwd from config.json.
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = /tmp ]
	run xs run --image "$IMAGES/app" -b "$BUNDLE" "$CID-2" -- 'echo "$IMG $SHARED"; hostname; cat /etc/hostname'
	echo "$output"
	[ "${lines[0]}" = "image bundle" ]
	[ "${lines[1]}" = from-bundle ]
	[ "${lines[2]}" = from-bundle ]
}

@test "image: the overlay is mounted in the container's mount namespace, or with a user namespace before init" {
	# Default spec: made while init starts, in the namespace init keeps;
	# the host's mount table never has it (the host may have overlays of
	# its own: the v2 guest's root is one).
	local pid host
	host=$(overlays /proc/self/mountinfo)
	xrt_create --image "$IMAGES/fix" "$CID"
	[ "$status" -eq 0 ]
	pid=$(xs state "$CID" | jq .pid)
	[ "$(overlays /proc/self/mountinfo)" = "$host" ]
	[ "$(overlays "/proc/$pid/mountinfo")" = / ]
	run xs delete -f "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$STORE/containers/$CID" ]

	# A user namespace gets a mount namespace of its own, copied when init
	# starts: the overlay is mounted before, on the host, and delete
	# unmounts it.
	"$XRT" spec -b "$BUNDLE"
	update_config '.process.terminal = false | .process.args = ["sleep", "1000"] | .root.readonly = false | .linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
	xrt_create --image "$IMAGES/fix" "$CID-u"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -n "$(mounts_under "$STORE/containers/$CID-u/merged")" ]
	run xs start "$CID-u"
	[ "$status" -eq 0 ]
	run xs exec "$CID-u" cat /data/c
	echo "$output"
	[ "$output" = c-new ]
	run xs delete -f "$CID-u"
	[ "$status" -eq 0 ]
	[ -z "$(mounts_under "$STORE")" ]
	[ ! -e "$STORE/containers/$CID-u" ]
}

@test "image: a root of that id in the store, another runtime root's live container, is refused and kept" {
	# Two runtime roots may share a store and reuse an id (here with
	# cgroups of their own).
	"$XRT" spec -b "$BUNDLE"
	update_config '.process.terminal = false | .root.readonly = false | .process.args = ["sleep", "1000"] | .linux.cgroupsPath = "/xrt-other-'"$$/$CID"'"'
	OTHER_ROOT=$BATS_TEST_TMPDIR/other-root
	timeout -k 5 "$XRT_TIMEOUT" "$XRT" --root "$OTHER_ROOT" --store "$STORE" create --image "$IMAGES/fix" -b "$BUNDLE" "$CID" \
		</dev/null >"$BATS_TEST_TMPDIR/other.log" 2>&1
	rm "$BUNDLE/config.json"
	xrt_create --image "$IMAGES/fix" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$STORE/containers/$CID already exists: remove the container first"* ]]
	[ ! -e "$ROOT/$CID" ]
	[ -z "$(find /sys/fs/cgroup -path "*/xrt/$CID" -type d)" ]
	[ -d "$STORE/containers/$CID/upper" ]
	# Nor does a delete --force of the id in this root touch it.
	run xs delete -f "$CID"
	[ "$status" -eq 0 ]
	[ -d "$STORE/containers/$CID/upper" ]
	run "$XRT" --root "$OTHER_ROOT" --store "$STORE" start "$CID"
	[ "$status" -eq 0 ]
	run "$XRT" --root "$OTHER_ROOT" --store "$STORE" exec "$CID" cat /data/c
	echo "$output"
	[ "$output" = c-new ]
	run "$XRT" --root "$OTHER_ROOT" --store "$STORE" delete -f "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$STORE/containers/$CID" ]
	OTHER_ROOT=
}

@test "image: labels and stop signal become annotations; volumes are per-container dirs in the store" {
	xrt_create --image "$IMAGES/app" "$CID" -- 'sleep 1000'
	echo "$output"
	[ "$status" -eq 0 ]
	run xs state "$CID"
	echo "$output"
	[ "$(jq -r '.annotations["org.example.label"]' <<<"$output")" = lab ]
	[ "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' <<<"$output")" = SIGUSR1 ]
	[ "$(jq -r .rootfs <<<"$output")" = "$(readlink -f "$STORE")/containers/$CID/merged" ]
	run xs start "$CID"
	[ "$status" -eq 0 ]
	# /vol is its own mount, a directory of this container in the store.
	run xs exec -u 0 "$CID" sh -c 'grep -c " /vol " /proc/self/mountinfo; echo vol > /vol/f'
	echo "$output"
	[ "$output" = 1 ]
	[ "$(cat "$STORE"/containers/"$CID"/volumes/*/f)" = vol ]
	run xs delete -f "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$STORE/containers/$CID" ]
}

@test "image: the unpacked tree keeps whiteouts, opaque dirs, links, modes, owners, devices, xattrs, mtimes" {
	run xs run --image "$IMAGES/fix" "$CID" -- sh -c '
		cd /data
		[ -e b ] && echo "b not whited out"
		ls /opq | tr "\n" " "; echo
		cat c
		stat -c "%n %i %h" a hl | awk "{print \$1, \$3}"
		[ "$(stat -c %i a)" = "$(stat -c %i hl)" ] && echo hardlink-ok
		readlink sl
		stat -c "%n %a %U:%G %F %t:%T %Y" suid sgid sticky owned null fifo
		getfattr -n user.xrt --only-values xattr 2>/dev/null || cat /proc/self/attr/current >/dev/null; echo'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"not whited out"* ]]
	[ "${lines[0]}" = "new " ]
	[ "${lines[1]}" = c-new ]
	[[ "$output" == *hardlink-ok* ]]
	[[ "$output" == *"suid 4755 root:root regular file 0:0 981173106"* ]]
	[[ "$output" == *"sgid 2775 root:root directory"* ]]
	[[ "$output" == *"sticky 1777 root:root directory"* ]]
	[[ "$output" == *"owned 640 app:extra regular file"* ]]
	[[ "$output" == *"null 666 root:root character special file 1:3"* ]]
	[[ "$output" == *"fifo 644 root:root fifo"* ]]
	# The xattr, read on the host from the layer in the store.
	[ "$(getfattr -n user.xrt --only-values "$(find "$STORE/layers" -path '*/diff/data/xattr' | head -1)")" = fixture ]
}

@test "image: the merged tree matches umoci unpack of the same image" {
	command -v umoci >/dev/null || skip "umoci is not installed"
	xrt_create --image "$IMAGES/fix" "$CID"
	[ "$status" -eq 0 ]
	umoci unpack --image "$IMAGES/fix:latest" "$BATS_TEST_TMPDIR/umoci" >&2
	# Paths, types, modes, owners, link targets, sizes and contents; the
	# init layer's additions (Docker's too) are left out.
	list() {
		(cd "$1" && find . -path ./etc/hostname -o -path ./etc/hosts -o -path ./etc/resolv.conf -o -path ./dev -prune -o -path ./proc -prune -o -path ./sys -prune -o \
			-printf '%p %y %m %U:%G %l %s\n' | sort)
		(cd "$1" && find . -path ./dev -prune -o -path ./proc -prune -o -path ./sys -prune -o \
			-type f -not -path './etc/host*' -not -path ./etc/resolv.conf -exec md5sum {} + | sort)
	}
	# The overlay is mounted in the container's mount namespace only.
	local pid
	pid=$(xs state "$CID" | jq .pid)
	diff <(list "/proc/$pid/root") <(list "$BATS_TEST_TMPDIR/umoci/rootfs")
}

@test "image: oci-archive, docker save, tags, digests and the host's platform from an index" {
	run xs run --image "$IMAGES/plain.oci.tar" "$CID-1" -- sh -c 'echo oci'
	[ "$output" = oci ]
	run xs run --image "$IMAGES/plain.docker.tar:v1" "$CID-2" -- sh -c 'echo docker'
	echo "$output"
	[ "$output" = docker ]
	local digest
	digest=$(jq -r '.manifests[0].digest' "$IMAGES/fix/index.json")
	run xs run --image "$IMAGES/fix@$digest" "$CID-3" -- sh -c 'echo by-digest'
	[ "$output" = by-digest ]
	run xs run --image "$IMAGES/multi:latest" "$CID-4" -- sh -c 'uname -m'
	echo "$output"
	[ "$output" = "$(uname -m)" ]
	run xs run --image "$IMAGES/fix:nosuchtag" "$CID-5" -- true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *latest* ]] # the error lists the tags there are
}

@test "image: layers are unpacked once and shared; delete removes the container's layers, never the image's" {
	xrt_create --image "$IMAGES/fix" "$CID-1" -- sleep 1000
	[ "$status" -eq 0 ]
	local n
	n=$(layer_dirs)
	[ "$n" -eq 3 ]
	local before
	before=$(stat -c %Y "$STORE"/layers/*/diff | md5sum)
	xrt_create --image "$IMAGES/fix" "$CID-2" -- sleep 1000
	[ "$status" -eq 0 ]
	[ "$(layer_dirs)" -eq 3 ]
	[ "$(stat -c %Y "$STORE"/layers/*/diff | md5sum)" = "$before" ]
	# A second image shares the busybox base layer.
	xrt_create --image "$IMAGES/plain.oci.tar" "$CID-3" -- sleep 1000
	[ "$status" -eq 0 ]
	[ "$(layer_dirs)" -eq 3 ]
	run xs image ls
	echo "$output"
	[[ "$output" == *"$CID-1,$CID-2"* ]]
	# In use: rm is refused, prune keeps everything.
	run xs image rm "$IMAGES/fix"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"in use"* ]]
	run xs image prune
	[ "$(layer_dirs)" -eq 3 ]
	run xs delete -f "$CID-1"
	[ "$status" -eq 0 ]
	[ ! -e "$STORE/containers/$CID-1" ]
	[ "$(layer_dirs)" -eq 3 ]
	run xs delete -f "$CID-2"
	run xs delete -f "$CID-3"
	run xs image rm "$IMAGES/fix"
	[ "$status" -eq 0 ]
	run xs image prune
	echo "$output"
	# The base layer stays: the other image still uses it.
	[ "$(layer_dirs)" -eq 1 ]
	run xs image ls -q
	[ "$(wc -l <<<"$output")" -eq 1 ]
}

@test "image: 200 layers, more than one page of mount options, still mount (lowerdir+ from 6.8, else short links)" {
	"$TESTBIN/mkimage" --layers-extra 200 --compress none "$BATS_TEST_TMPDIR/many" >&2
	run xs run --image "$BATS_TEST_TMPDIR/many" "$CID" -- sh -c 'ls /extra | wc -l; cat /extra/1 /extra/200; grep -m1 " / / " /proc/self/mountinfo'
	echo "$output" | cut -c1-300
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 200 ]
	[ "${lines[1]}" = 1 ]
	[ "${lines[2]}" = 200 ]
	# The way the running kernel allows: a lowerdir+ per layer (fsconfig,
	# Linux 6.8), or one lowerdir= of short l/ links (for 200 layers, named
	# by their place: the store's would not fit in a page).
	root=${lines[3]}
	[[ "$root" == *" - overlay "* ]]
	if kernel_at_least 6 8; then
		[[ "$root" == *,lowerdir+=* ]]
	else
		[[ "$root" != *lowerdir+=* ]]
		[[ "$root" =~ ,lowerdir=[^,]*l/[A-Za-z0-9]+: ]]
	fi
}

@test "image: spec --image writes the merged config.json" {
	run xrt --store "$STORE" spec -b "$BUNDLE" --image "$IMAGES/app"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -c .process.args "$BUNDLE/config.json")" = '["/bin/sh","-c","echo from-cmd; id -u; pwd"]' ]
	[ "$(jq -r .process.cwd "$BUNDLE/config.json")" = /data ]
	[ "$(jq -r .process.user.uid "$BUNDLE/config.json")" = 1000 ]
	[ "$(jq -r '.annotations["org.example.label"]' "$BUNDLE/config.json")" = lab ]
}

# bad_image FAULT: build an image with that fault; run it; check the error
# and that the store holds no layer or temporary file of the broken layer.
bad_image() {
	local fault=$1 want=$2
	"$TESTBIN/mkimage" --break "$fault" "$BATS_TEST_TMPDIR/bad-$fault" >&2
	run xs run --image "$BATS_TEST_TMPDIR/bad-$fault" "$CID" -- true
	echo "$fault: $output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$want"* ]]
	[ -z "$(ls -A "$STORE/tmp" 2>/dev/null)" ]
	[ ! -e "$STORE/containers/$CID" ]
	[ ! -e "$ROOT/$CID" ]
	assert_no_leftovers
}

@test "image: a missing blob is a clear error" { bad_image missing-blob "sha256:"; }
@test "image: a blob whose digest does not match is refused" { bad_image blob-digest digest; }
@test "image: a diff_id mismatch is refused" { bad_image diffid diff; }
@test "image: a truncated layer is refused" { bad_image truncated-layer layer; }
@test "image: an unknown layer media type is refused" { bad_image media-type "media type"; }
@test "image: no manifest for this platform lists the platforms there are" { bad_image no-platform "platform"; }

@test "image: a layer with path traversal entries writes nothing outside its directory" {
	bad_image traversal "layer"
	[ ! -e "$BUNDLE/escape" ] && [ ! -e "$STORE/escape" ] && [ ! -e /tmp/escaped ]
}

@test "image: kill -9 during an unpack leaves a store the next create uses" {
	"$TESTBIN/mkimage" --big 60 --compress gzip "$BATS_TEST_TMPDIR/big" >&2
	"$XRT" --root "$ROOT" --store "$STORE" create --image "$BATS_TEST_TMPDIR/big" "$CID-k" </dev/null >/dev/null 2>&1 &
	local pid=$!
	# Kill it while it unpacks the big layer (its tmp dir exists).
	for _ in $(seq 200); do
		[ -n "$(ls -A "$STORE/tmp" 2>/dev/null)" ] && break
		sleep 0.02
	done
	kill -KILL "$pid"
	wait "$pid" || true
	run xs run --image "$BATS_TEST_TMPDIR/big" "$CID" -- sh -c 'du -sm /big | cut -f1'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" -ge 50 ]
	[ -z "$(ls -A "$STORE/tmp")" ]
	xs delete -f "$CID-k" || true
}
