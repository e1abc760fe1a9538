#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/tools/sandbox-host.sh WHO CMD... - run CMD in the lab's host
# namespace made to look like a host with systemd-resolved and nscd, as WHO:
#
#   root        root
#   user        the test user, with a usable /dev/net/tun (mode 0666)
#   user-0600   the test user, with a /dev/net/tun of mode 0600 (root's)
#
# It runs as root under `lab_host` (ip netns exec), whose mount namespace
# belongs to this one command: nothing here touches the machine's mounts.
# The host it makes up has
#   - /etc/resolv.conf from $SB_DIR/host-resolv.conf (search, domain and
#     options lines); with SB_RESOLVED=1, /etc/resolv.conf is instead a
#     symbolic link to /run/systemd/resolve/stub-resolv.conf, as on hosts
#     that run systemd-resolved;
#   - live resolver sockets at /run/systemd/resolve/io.systemd.Resolve and
#     /run/nscd/socket (/var/run/nscd/socket) that answer "door-open"
#     (unless SB_DOORS=0: glibc asks nscd for every user lookup, and a
#     fake nscd makes each lookup slow, which timings must not measure).
# CMD runs with SIGINT and SIGQUIT at their defaults, as a command typed at
# a terminal would (bats starts background jobs with them ignored), and its
# exit status is this script's.
#
# Environment: SB_DIR (host-resolv.conf, tun0666, tun0600 live there),
# LAB_TEST_USER, LAB_USER_HOME, SB_RESOLVED, SB_DOORS.
set -eu
who=$1
shift

mount -t tmpfs -o mode=0755 sandbox-host /run
mkdir -p /run/systemd/resolve /run/nscd
if [ "${SB_RESOLVED:-0}" = 1 ]; then
	cp "$SB_DIR/host-resolv.conf" /run/systemd/resolve/stub-resolv.conf
	mkdir -p /run/sb-etc/upper /run/sb-etc/work
	mount -t overlay -o lowerdir=/etc,upperdir=/run/sb-etc/upper,workdir=/run/sb-etc/work \
		sandbox-etc /etc
	rm -f /etc/resolv.conf
	ln -s /run/systemd/resolve/stub-resolv.conf /etc/resolv.conf
else
	mount --bind "$SB_DIR/host-resolv.conf" /etc/resolv.conf
fi

doors="/run/systemd/resolve/io.systemd.Resolve /run/nscd/socket"
[ "${SB_DOORS:-1}" = 0 ] && doors=
pids=
for s in $doors; do
	socat UNIX-LISTEN:"$s",fork,mode=0666 SYSTEM:'echo door-open' \
		</dev/null >/dev/null 2>&1 &
	pids="$pids $!"
done
# Ready once a connection is answered: socat makes the socket file at
# bind(), before listen(), so its existence alone is not enough
for s in $doors; do
	n=0
	until [ "$(socat -u UNIX-CONNECT:"$s" - 2>/dev/null)" = door-open ]; do
		n=$((n + 1))
		[ "$n" -lt 500 ] || {
			echo "sandbox-host: $s did not appear" >&2
			exit 125
		}
		sleep 0.01
	done
done

set +e
case $who in
root)
	env --default-signal=INT,QUIT "$@"
	;;
user | user-0600)
	tun=$SB_DIR/tun0666
	[ "$who" = user-0600 ] && tun=$SB_DIR/tun0600
	mount --bind "$tun" /dev/net/tun
	setpriv --reuid="$LAB_TEST_USER" --regid="$LAB_TEST_USER" --init-groups \
		env --default-signal=INT,QUIT HOME="$LAB_USER_HOME" \
		USER="$LAB_TEST_USER" LOGNAME="$LAB_TEST_USER" "$@"
	;;
*)
	echo "sandbox-host: WHO is root, user or user-0600" >&2
	false
	;;
esac
rc=$?
# shellcheck disable=SC2086 # a list of pids
kill $pids 2>/dev/null
exit "$rc"
