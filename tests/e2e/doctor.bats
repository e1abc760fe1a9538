#!/usr/bin/env bats
# --doctor (SPEC.md §4, §1 exit status): every check of the selected backend
# as ok / warning / fatal with a detail and a hint, in text and JSON; exit 0
# when the backend can run, 1 when something it needs is missing; nothing
# on the host changed.  Runs in the lab's host namespace, as root, as the
# test user with a usable tun node (lab_user), and as the same user facing a
# root-only 0600 /dev/net/tun, as many hosts (and this machine) have it.

# shellcheck disable=SC2016 # single-quoted scripts are expanded by inner shells

load helpers

bats_require_minimum_version 1.5.0

# Every check of each backend, in order (docs/doctor.md)
ROOTLESS_KEYS='["kernel","namespace_handles","namespace_limits","unprivileged_user_namespaces","apparmor_userns_policy","namespace_probe","uidmap_helpers","subuid_subgid_entries","tun_tap_device","ping_sockets","af_packet_capture","ipv6_route","resolver"]'
ROOTFUL_KEYS='["kernel","namespace_handles","namespace_limits","root_privileges","namespace_probe","nftables","tproxy","policy_routing","ping_sockets","af_packet_capture","ipv6_route","resolver"]'

TUN_HINT='most distributions use 0666; as root: chmod 0666 /dev/net/tun (or a udev rule: KERNEL=="tun", MODE="0666")'

setup_file() {
	lab_up
	# A root-only tun node, bind-mounted over /dev/net/tun for cf_plain
	mknod -m 0600 "$BATS_FILE_TMPDIR/tun0600" c 10 200
	chmod 0600 "$BATS_FILE_TMPDIR/tun0600"
}

setup() {
	require_childflow
}

# cf_root ARGS...: childflow ARGS as root in the lab's host namespace
cf_root() {
	lab_host "$CHILDFLOW" "$@"
}

# cf_user ARGS...: childflow ARGS as the test user, with a 0666 tun node
cf_user() {
	lab_user "$CHILDFLOW" "$@"
}

# cf_plain ARGS...: childflow ARGS as the test user facing a 0600 root-owned
# /dev/net/tun (bind-mounted in this command's own mount namespace)
cf_plain() {
	lab_host /bin/sh -c '
		node=$1
		shift
		mount --bind "$node" /dev/net/tun || exit 125
		exec setpriv --reuid="$LAB_TEST_USER" --regid="$LAB_TEST_USER" \
			--init-groups "$@"
	' cf_plain "$BATS_FILE_TMPDIR/tun0600" "$CHILDFLOW" "$@"
}

# check_shape JSON KEYS: the document of SPEC.md §4 with exactly the checks
# KEYS (a JSON array, in order), each well formed, and an overall status
# that is the worst of them
check_shape() {
	jq -e --argjson keys "$2" '
		(keys_unsorted == ["backend", "uid", "euid", "status", "checks"])
		and (.backend | IN("rootless-internal", "rootful"))
		and (.uid | type == "number") and (.euid | type == "number")
		and ([.checks[].key] == $keys)
		and all(.checks[];
			keys_unsorted == ["key", "label", "status", "detail", "hint"]
			and (.status | IN("ok", "warning", "fatal"))
			and (.label | type == "string" and length > 0)
			and (.detail | type == "string" and length > 0)
			and (.hint == null or (.hint | type == "string" and length > 0)))
		and (.status == (if any(.checks[]; .status == "fatal") then "fatal"
			elif any(.checks[]; .status == "warning") then "warning"
			else "ok" end))
	' <<<"$1" >/dev/null || {
		echo "bad shape:"
		echo "$1"
		return 1
	}
}

# check_status JSON KEY: print the status of check KEY
check_status() {
	jq -r --arg k "$2" '.checks[] | select(.key == $k) | .status' <<<"$1"
}

# check_field JSON KEY FIELD: print FIELD of check KEY
check_field() {
	jq -r --arg k "$2" --arg f "$3" '.checks[] | select(.key == $k) | .[$f]' <<<"$1"
}

# The machine's network state in the lab's host namespace
host_state() {
	lab_host sh -c 'ip -br link; ip rule show; ip -6 rule show;
		ip route show table all; nft list ruleset'
}

@test "root: text report, every check of the rootless backend, exit 0" {
	run --separate-stderr cf_root --doctor
	[ "$status" -eq 0 ] || { echo "status $status: $output $stderr"; return 1; }
	[ -z "$stderr" ]
	assert_match "$output" '^childflow --doctor: backend rootless-internal, uid 0, euid 0'
	for label in kernel namespaces 'namespace probe' 'subordinate ids' \
		/dev/net/tun 'ping sockets' 'packet capture' IPv6 resolver; do
		grep -qE "^(ok|warning) +$label  " <<<"$output" || { echo "no ok line for $label"; return 1; }
	done
	[ "$(grep -c '^fatal' <<<"$output")" -eq 0 ]
	assert_match "$(tail -n1 <<<"$output")" '^(ok|warning): the rootless-internal backend can run here'
}

@test "root: JSON report has the SPEC shape, status ok, exit 0" {
	run --separate-stderr cf_root --doctor --doctor-format json
	[ "$status" -eq 0 ]
	check_shape "$output" "$ROOTLESS_KEYS"
	[ "$(jq -r .status <<<"$output")" != fatal ]
	[ "$(jq -r '.backend, .uid, .euid' <<<"$output" | paste -sd' ')" = "rootless-internal 0 0" ]
	[ "$(check_status "$output" tun_tap_device)" = ok ]
	[ "$(check_status "$output" namespace_probe)" = ok ]
	# root: CAP_NET_RAW, and no helpers or subordinate ids needed
	[ "$(check_status "$output" af_packet_capture)" = ok ]
	[ "$(check_status "$output" ping_sockets)" = ok ]
	assert_match "$(check_field "$output" subuid_subgid_entries detail)" 'not needed'
}

@test "user with a usable tun: no fatal, exit 0; no CAP_NET_RAW is a warning" {
	run --separate-stderr cf_user --doctor --doctor-format json
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	check_shape "$output" "$ROOTLESS_KEYS"
	[ "$(jq -r .uid <<<"$output")" = "$(id -u "$LAB_TEST_USER")" ]
	[ "$(jq -r .status <<<"$output")" = warning ]
	[ "$(check_status "$output" tun_tap_device)" = ok ]
	assert_match "$(check_field "$output" tun_tap_device detail)" 'mode 0666.*opens for this user, and a tun device can be created'
	[ "$(check_status "$output" namespace_probe)" = ok ]
	assert_match "$(check_field "$output" namespace_probe detail)" "mapped uid $(id -u "$LAB_TEST_USER")"
	[ "$(check_status "$output" af_packet_capture)" = warning ]
	assert_match "$(check_field "$output" af_packet_capture hint)" 'wire-egress'
}

@test "user facing a 0600 /dev/net/tun: fatal with the fix, exit 1 (text)" {
	run --separate-stderr cf_plain --doctor
	[ "$status" -eq 1 ] || { echo "status $status: $output $stderr"; return 1; }
	[ -z "$stderr" ]
	assert_match "$output" "backend rootless-internal, uid $(id -u "$LAB_TEST_USER")"
	grep -qE '^fatal +/dev/net/tun +/dev/net/tun is mode 0600 \(owner root\): this user cannot open it$' <<<"$output"
	grep -qF "hint: $TUN_HINT" <<<"$output"
	[ "$(grep -c '^fatal ' <<<"$output")" -eq 1 ]
	assert_match "$(tail -n1 <<<"$output")" '^fatal: the rootless-internal backend cannot run here \(1 fatal, [0-9]+ warnings?\)$'
}

@test "user facing a 0600 /dev/net/tun: fatal in JSON, exit 1" {
	run --separate-stderr cf_plain --doctor --doctor-format json
	[ "$status" -eq 1 ]
	check_shape "$output" "$ROOTLESS_KEYS"
	[ "$(jq -r .status <<<"$output")" = fatal ]
	[ "$(check_status "$output" tun_tap_device)" = fatal ]
	[ "$(check_field "$output" tun_tap_device detail)" = "/dev/net/tun is mode 0600 (owner root): this user cannot open it" ]
	[ "$(check_field "$output" tun_tap_device hint)" = "$TUN_HINT" ]
	# Only the tun is missing: the namespaces themselves work
	[ "$(jq -r '[.checks[] | select(.status == "fatal") | .key] | join(",")' <<<"$output")" = tun_tap_device ]
}

@test "user: a closed ping_group_range on the host is a warning that explains" {
	# A fresh network namespace has the kernel's default range "1 0"
	run --separate-stderr lab_host unshare --net setpriv --reuid="$LAB_TEST_USER" \
		--regid="$LAB_TEST_USER" --init-groups \
		"$CHILDFLOW" --doctor --doctor-format json
	check_shape "$output" "$ROOTLESS_KEYS"
	[ "$(check_status "$output" ping_sockets)" = warning ]
	assert_match "$(check_field "$output" ping_sockets detail)" '"1 0" \(closed\).*host namespace.*CAP_NET_RAW'
	assert_match "$(check_field "$output" ping_sockets hint)" 'ping_group_range="0 2147483647"'
	# ... and, there, no route: IPv6 and the resolver say so
	[ "$(check_status "$output" ipv6_route)" = warning ]
	assert_match "$(check_field "$output" ipv6_route detail)" '^no IPv6 route.*: AAAA answered empty, IPv6 connects fail at once$'
	[ "$(check_status "$output" resolver)" = warning ]
}

@test "user: -C wire-egress without CAP_NET_RAW is fatal" {
	run --separate-stderr cf_user --doctor -c "$BATS_TEST_TMPDIR/x.pcapng" \
		-C wire-egress --doctor-format json
	[ "$status" -eq 1 ]
	[ "$(check_status "$output" af_packet_capture)" = fatal ]
	[ "$(jq -r '[.checks[] | select(.status == "fatal") | .key] | join(",")' <<<"$output")" = af_packet_capture ]
}

@test "the resolver: the lab's resolv.conf, or --dns" {
	run --separate-stderr cf_user --doctor --doctor-format json
	[ "$(check_status "$output" resolver)" = ok ]
	[ "$(check_field "$output" resolver detail)" = "nameservers from /etc/resolv.conf: $LAB_DNS4" ]
	[ "$(check_status "$output" ipv6_route)" = ok ]
	run --separate-stderr cf_user --doctor --doctor-format json -d "$LAB_DNS6"
	[ "$(check_status "$output" resolver)" = ok ]
	assert_match "$(check_field "$output" resolver detail)" "^--dns $LAB_DNS6: all DNS of the tree goes to it"
	run --separate-stderr cf_user --doctor --doctor-format json -d 127.0.0.53
	assert_match "$(check_field "$output" resolver detail)" 'host loopback'
}

@test "--doctor --root as a user: root is fatal, exit 1" {
	run --separate-stderr cf_plain --doctor --root
	[ "$status" -eq 1 ]
	grep -qE "^fatal +root +the rootful backend needs root; this is uid $(id -u "$LAB_TEST_USER")" <<<"$output"
	grep -qF 'hint: run it as root' <<<"$output"
	run --separate-stderr cf_plain --doctor --backend rootful --doctor-format json
	[ "$status" -eq 1 ]
	check_shape "$output" "$ROOTFUL_KEYS"
	[ "$(jq -r .backend <<<"$output")" = rootful ]
	[ "$(check_status "$output" root_privileges)" = fatal ]
	[ "$(check_status "$output" namespace_probe)" = warning ]
}

@test "--doctor --root as root: the rootful checks, status matches the exit" {
	run --separate-stderr cf_root --doctor --root --doctor-format json
	check_shape "$output" "$ROOTFUL_KEYS"
	[ "$(jq -r .backend <<<"$output")" = rootful ]
	[ "$(check_status "$output" root_privileges)" = ok ]
	[ "$(check_status "$output" namespace_probe)" = ok ]
	if [ "$(jq -r .status <<<"$output")" = fatal ]; then
		[ "$status" -eq 1 ]
	else
		[ "$status" -eq 0 ]
	fi
	# --iface is checked when given
	run --separate-stderr cf_root --doctor --root -i no-such-if0 --doctor-format json
	[ "$status" -eq 1 ]
	[ "$(check_status "$output" iface)" = fatal ]
	run --separate-stderr cf_root --doctor --root -i "$LAB_HOST_IF" --doctor-format json
	[ "$(check_status "$output" iface)" = ok ]
}

@test "--doctor changes nothing on the host" {
	local before after
	before=$(host_state)
	cf_root --doctor >/dev/null
	cf_root --doctor --root >/dev/null || true
	cf_user --doctor >/dev/null
	cf_plain --doctor >/dev/null || true
	after=$(host_state)
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); return 1; }
}

@test "--doctor takes no command" {
	run --separate-stderr "$CHILDFLOW" --doctor true
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}
