#!/bin/bash
# image.sh: image mode numbers for `make bench`, measured in one run:
#   cold create   `xrt create --image` of a ~100 MB multi-layer image into an
#                 empty store (verify, decompress, unpack every layer, mount)
#                 against GNU `tar -xzf` of the same layer blobs (target 1.2x)
#   warm create   `xrt create --image` with the layers in the store, against
#                 `xrt create` of a plain bundle (target 1.1x)
#   disk          20 containers of the image: the layers once, and what each
#                 container adds (upper, work, init layer)
# BENCH_IMAGE_N sets the samples (default 5 cold, 8x that warm).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
XRT=$(readlink -f "${XRT:-$repo/xrt}")
MKIMAGE=$repo/tests/bin/mkimage
N=${BENCH_IMAGE_N:-5}
OUT_JSON=${BENCH_IMAGE_JSON:-$here/last-image.json}
[ "$(id -u)" -eq 0 ] || { echo "bench: must run as root" >&2; exit 1; }
[ -x "$MKIMAGE" ] || { echo "bench: $MKIMAGE missing: run make testbin" >&2; exit 1; }

work=$(mktemp -d /var/tmp/xrt-bench-image.XXXXXX)
ROOT=/run/xrt-bench-image-$$
STORE=$work/store
mounts_under() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo; }
cleanup() {
	local rc=$? id
	trap - EXIT
	for id in $(ls "$ROOT" 2>/dev/null); do
		"$XRT" --root "$ROOT" --store "$STORE" delete -f "$id" >/dev/null 2>&1 || true
	done
	if [ -n "$(mounts_under "$work")" ]; then
		echo "bench: mounts remain under $work; not removing it" >&2
		exit 1
	fi
	rm -rf --one-file-system "$work" "$ROOT"
	exit "$rc"
}
trap cleanup EXIT
mkdir -p "$ROOT"

echo "bench: building a ~100 MB multi-layer image..." >&2
"$MKIMAGE" --fixtures --layers-extra 3 --big 100 --compress gzip "$work/img" >&2
manifest=$(jq -r '.manifests[0].digest' "$work/img/index.json")
layers=$(jq -r '.layers[].digest' "$work/img/blobs/sha256/${manifest#sha256:}")
nlayers=$(wc -w <<<"$layers")
mb=$(du -cm $(for d in $layers; do echo "$work/img/blobs/sha256/${d#sha256:}"; done) | tail -1 | cut -f1)

"$repo/tests/fixtures/mkbundle.sh" "$work/bundle" >/dev/null
"$XRT" spec --bundle "$work/bundle"
jq '.process.terminal = false | .process.args = ["sh"] | .root.readonly = false' "$work/bundle/config.json" >"$work/c" && mv "$work/c" "$work/bundle/config.json"

us() { # microseconds since $1 (an $EPOCHREALTIME)
	local t1=$EPOCHREALTIME
	echo $(((10#${t1%.*} - 10#${1%.*}) * 1000000 + 10#${t1#*.} - 10#${1#*.}))
}
median() { sort -n | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1000}'; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

cold_x= cold_t=
# Every sample starts with the disk quiet (sync) and a cold page cache:
# what the previous one wrote or removed is not charged to the next.
for ((i = 0; i < N; i++)); do
	rm -rf --one-file-system "$STORE" "$work/tar"
	drop
	t0=$EPOCHREALTIME
	"$XRT" --root "$ROOT" --store "$STORE" create --image "$work/img" cold </dev/null >/dev/null
	cold_x+="$(us "$t0") "
	"$XRT" --root "$ROOT" --store "$STORE" delete -f cold
	drop
	mkdir -p "$work/tar"
	t0=$EPOCHREALTIME
	for d in $layers; do
		tar -xzf "$work/img/blobs/sha256/${d#sha256:}" -C "$work/tar"
	done
	cold_t+="$(us "$t0") "
	rm -rf --one-file-system "$work/tar"
done
rm -rf --one-file-system "$work/tar"

# The cold runs left a hundred MB or so to write back: let it go to disk
# first, or the warm creates' metadata writes queue behind it.
sync
warm_i= warm_p=
for ((i = 0; i < 8 * N; i++)); do
	sync
	t0=$EPOCHREALTIME
	"$XRT" --root "$ROOT" --store "$STORE" create --image "$work/img" "w$i" </dev/null >/dev/null
	warm_i+="$(us "$t0") "
	"$XRT" --root "$ROOT" --store "$STORE" delete -f "w$i"
	sync
	t0=$EPOCHREALTIME
	"$XRT" --root "$ROOT" create -b "$work/bundle" "p$i" </dev/null >/dev/null
	warm_p+="$(us "$t0") "
	"$XRT" --root "$ROOT" delete -f "p$i"
done

for i in $(seq 20); do
	"$XRT" --root "$ROOT" --store "$STORE" create --image "$work/img" "d$i" </dev/null >/dev/null
done
layers_kb=$(du -sxk "$STORE/layers" | cut -f1)
containers_kb=$(du -sxk "$STORE/containers" | cut -f1)
for i in $(seq 20); do
	"$XRT" --root "$ROOT" --store "$STORE" delete -f "d$i"
done

cx=$(tr ' ' '\n' <<<"$cold_x" | grep . | median)
ct=$(tr ' ' '\n' <<<"$cold_t" | grep . | median)
wi=$(tr ' ' '\n' <<<"$warm_i" | grep . | median)
wp=$(tr ' ' '\n' <<<"$warm_p" | grep . | median)
r1=$(awk -v a="$cx" -v b="$ct" 'BEGIN {printf "%.2f", a / b}')
r2=$(awk -v a="$wi" -v b="$wp" 'BEGIN {printf "%.2f", a / b}')
echo
echo "image: $nlayers gzip layers, $mb MB of blobs; $N cold samples, $((8 * N)) warm (medians)"
printf '%-46s %10s %10s %7s\n' "case" "xrt ms" "base ms" "ratio"
printf '%-46s %10.2f %10.2f %7s\n' "cold create --image vs tar -xzf of the layers" "$cx" "$ct" "$r1"
printf '%-46s %10.2f %10.2f %7s\n' "warm create --image vs create of a bundle" "$wi" "$wp" "$r2"
echo "disk, 20 containers: layers $((layers_kb / 1024)) MB once, containers $containers_kb kB in all ($((containers_kb / 20)) kB each)"
jq -n --argjson cx "$cx" --argjson ct "$ct" --argjson wi "$wi" --argjson wp "$wp" --argjson r1 "$r1" --argjson r2 "$r2" \
	--argjson lk "$layers_kb" --argjson ck "$containers_kb" --argjson n "$N" --argjson layers "$nlayers" --argjson mb "$mb" \
	'{n: $n, layers: $layers, blob_mb: $mb, cold: {xrt_ms: $cx, tar_ms: $ct, ratio: $r1},
	  warm: {image_ms: $wi, bundle_ms: $wp, ratio: $r2}, disk_20: {layers_kb: $lk, containers_kb: $ck}}' >"$OUT_JSON"
