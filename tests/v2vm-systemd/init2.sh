#!/bin/bash
# v2vm-systemd stage 2: after switch_root, prepare what systemd will not
# (the scratch disk on /tmp, the read-write shares), write a minimal boot
# target, and exec systemd as PID 1. The target starts D-Bus and one
# service, xrt-test.service, which runs /run/v2vm/cmd.sh (the command),
# writes its status to /run/v2vm/rc and powers qemu off.
#
# Adapted from ../shared/v2vm/init2.sh, whose mounts systemd makes itself
# here (cgroup2 with nsdelegate, devpts, shm, mqueue, ...).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CTL=/run/v2vm

log() { echo "v2vm-systemd: $*" >&2; }
mark() { local up _; read -r up _ </proc/uptime; echo "$1 $up" >>"$CTL/trace"; }
mnt() {
	mkdir -p "$3"
	mount -t "$1" ${4:+-o "$4"} "$2" "$3" || log "mount -t $1 $2 $3 failed"
}

mnt proc proc /proc nosuid,nodev,noexec
mnt sysfs sysfs /sys nosuid,nodev,noexec
mark init2-start
echo 1 >/proc/sys/kernel/printk
stty -F /dev/console -onlcr 2>/dev/null

if [ -s "$CTL/scratch" ]; then
	modprobe -q virtio_blk && modprobe -q ext4 || log "modprobe virtio_blk ext4 failed"
	for ((i = 0; i < 100; i++)); do
		[ -b /dev/vda ] && break
		sleep 0.05
	done
	mnt ext4 /dev/vda /tmp nosuid,nodev,discard
	chmod 1777 /tmp
	rmdir /tmp/lost+found 2>/dev/null
fi
modprobe -q loop 2>/dev/null || true
while IFS=$'\t' read -r tag path; do
	[ -n "$tag" ] || continue
	mkdir -p "$path" 2>/dev/null
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=mmap "$tag" "$path" ||
		log "cannot mount share $path"
done <"$CTL/shares"

# The units, in /etc (the overlay's tmpfs): they take precedence over the
# host's. D-Bus without its default dependencies (they would pull
# sysinit.target: udev, journald, tmpfiles, ... a minute under TCG).
units=/etc/systemd/system
mkdir -p "$units"
cat >"$units/xrt-test.target" <<'UNIT'
[Unit]
Description=xrt test guest
DefaultDependencies=no
Requires=xrt-test.service
UNIT
cat >"$units/dbus.socket" <<'UNIT'
[Unit]
Description=D-Bus System Message Bus Socket
DefaultDependencies=no
[Socket]
ListenStream=/run/dbus/system_bus_socket
UNIT
cat >"$units/dbus.service" <<'UNIT'
[Unit]
Description=D-Bus System Message Bus
DefaultDependencies=no
Requires=dbus.socket
After=dbus.socket
[Service]
Type=notify
NotifyAccess=main
ExecStart=/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --nosyslog
StandardOutput=null
StandardError=tty
TTYPath=/dev/console
UNIT
cat >"$units/xrt-test.service" <<'UNIT'
[Unit]
Description=the test command
DefaultDependencies=no
Wants=dbus.service
After=dbus.service
[Service]
Type=exec
ExecStart=/bin/bash /run/v2vm/guest-run
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/console
TTYReset=no
TTYVHangup=no
UNIT
cat >"$CTL/guest-run" <<'SCRIPT'
#!/bin/bash
# Runs the command (its own session, as in v2vm), then records its status
# and powers the guest off at once (qemu's isa-debug-exit port 0xf4).
CTL=/run/v2vm
read -r up _ </proc/uptime; echo "command-start $up" >>"$CTL/trace"
cut -d' ' -f1 /proc/uptime >"$CTL/uptime.start"
rc=0
setsid bash "$CTL/cmd.sh" </dev/null || rc=$?
cut -d' ' -f1 /proc/uptime >"$CTL/uptime.end"
dmesg >"$CTL/dmesg" 2>/dev/null
echo "$rc" >"$CTL/rc"
sync
printf '\x00' | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc status=none 2>/dev/null
systemctl poweroff -ff
SCRIPT
hostname v2vm
mark systemd-exec
exec /lib/systemd/systemd --unit=xrt-test.target --show-status=0 --log-target=console --log-level=warning
log "exec systemd failed"
echo 125 >"$CTL/rc"
printf '\x00' | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc status=none 2>/dev/null
