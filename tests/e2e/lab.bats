#!/usr/bin/env bats
# The test lab itself: every server answers from the host namespace, the
# helpers work, and lab_down leaves nothing behind.  Needs root, not childflow.

# shellcheck disable=SC2016 # single-quoted scripts are expanded by inner shells

load helpers

# The machine's own network state, which the lab must never touch.
root_net_state() {
	ip -br link
	ip -br addr
	ip route show table all
	ip -6 route show table all | sed -E 's/ expires [0-9]+sec//'
	ip rule show
	ip -6 rule show
	nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
	sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv4.ping_group_range \
		net.ipv4.icmp_ratelimit
	stat -c '%n %A %u:%g %t:%T' /dev/net/tun
}

setup_file() {
	root_net_state >"$BATS_FILE_TMPDIR/root-before"
	unset LAB_NAME # always a lab of its own: the last test tears it down
	lab_up
}

teardown_file() {
	lab_down
}

# fetch_sha256 URL: sha256 of URL fetched from the host namespace.
fetch_sha256() {
	set -o pipefail
	host_curl -g "$1" | sha256sum | cut -d' ' -f1
}

# iperf_bytes ADDR: bytes received in a one-second iperf3 test.
iperf_bytes() {
	set -o pipefail
	lab_host iperf3 -c "$1" -p "$LAB_IPERF_PORT" -t 1 -J | jq '.end.sum_received.bytes'
}

# echo_via TEXT SOCAT-ADDRESS: send TEXT to an echo server, print the answer.
echo_via() {
	set -o pipefail
	printf '%s\n' "$1" | lab_host socat -t 2 - "$2"
}

# world_commands: the command names of the world's processes.
world_commands() {
	local p
	for p in $(ip netns pids "$LAB_NS_WORLD"); do
		cat "/proc/$p/comm" 2>/dev/null || true
	done
}

# second_lab: bring a second lab up beside the first, use it, tear it down.
second_lab() {
	(
		set -euo pipefail
		first=$LAB_NAME
		unset LAB_NAME
		lab_up
		[[ $LAB_NAME != "$first" ]]
		lab_host curl -sS --max-time 10 --cacert "$LAB_CA" "https://$LAB_ORIGIN_NAME/"
		ip netns list | grep -c "^$first-"
		second=$LAB_NAME
		lab_down
		if ip netns list | grep -q "^$second-" || [[ -e $LAB_BASE/$second ]]; then
			exit 1
		fi
		echo ok
	)
}

@test "lab: comes up in under 5 seconds" {
	echo "# bring-up took ${LAB_UP_SECONDS}s" >&3
	assert_lt "$LAB_UP_SECONDS" 5
}

@test "lab: namespaces, resolver, routes and sysctls of the host" {
	run -0 ip netns list
	local ns
	for ns in "$LAB_NS_HOST" "$LAB_NS_ROUTER" "$LAB_NS_WORLD"; do
		[[ $'\n'"$output" == *$'\n'"$ns"* ]]
	done
	run -0 lab_host cat /etc/resolv.conf
	assert_equal "$output" "nameserver $LAB_DNS4"
	run -0 lab_host sysctl -n net.ipv4.ping_group_range
	assert_match "$output" '^0[[:space:]]+2147483647$'
	run -0 lab_host ip route show default
	assert_match "$output" "default via $LAB_ROUTER4 dev $LAB_HOST_IF"
	run -0 lab_host ip -6 route show default
	assert_match "$output" "default via $LAB_ROUTER6 dev $LAB_HOST_IF"
	run -0 lab_host ip -br link show lo
	assert_match "$output" 'UP|UNKNOWN'
	run -0 lab_router sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding
	assert_equal "$output" $'1\n1'
}

@test "http: origin by IPv4 address" {
	run -0 host_curl "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
}

@test "http: origin by IPv6 address" {
	run -0 host_curl -g "http://[$LAB_ORIGIN6]/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
}

@test "http: origin by name origin.test, both address families" {
	run -0 host_curl -4 "http://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -0 host_curl -6 "http://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -0 host_curl "http://v6only.test/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
}

@test "http: the origin sees the host's own address (no NAT)" {
	run -0 host_curl "http://$LAB_ORIGIN4/ip"
	assert_equal "$output" "$LAB_HOST4"
	run -0 host_curl -g "http://[$LAB_ORIGIN6]/ip"
	assert_equal "$output" "$LAB_HOST6"
}

@test "https: origin by IPv4, IPv6 and name with the lab CA" {
	run -0 host_curl "https://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -0 host_curl -g "https://[$LAB_ORIGIN6]/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -0 host_curl "https://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -0 host_curl "https://www.$LAB_ORIGIN_NAME/hello.txt"
	assert_equal "$output" "hello from the childflow lab"
}

@test "https: the origin is not trusted without the lab CA" {
	run -60 lab_host curl -sS --max-time 10 "https://$LAB_ORIGIN_NAME/"
}

@test "http: 1 MiB and 16 MiB files match their recorded sha256" {
	[[ $LAB_SHA256_1M =~ ^[0-9a-f]{64}$ && $LAB_SHA256_16M =~ ^[0-9a-f]{64}$ ]]
	run -0 fetch_sha256 "http://$LAB_ORIGIN4/1m.bin"
	assert_equal "$output" "$LAB_SHA256_1M"
	run -0 fetch_sha256 "https://$LAB_ORIGIN_NAME/16m.bin"
	assert_equal "$output" "$LAB_SHA256_16M"
	run -0 fetch_sha256 "http://[$LAB_ORIGIN6]/16m.bin"
	assert_equal "$output" "$LAB_SHA256_16M"
	run -0 host_curl -g -o /dev/null -w '%{size_download}' "https://[$LAB_ORIGIN6]/1m.bin"
	assert_equal "$output" "$LAB_SIZE_1M"
}

@test "http: upload with PUT lands in the upload directory" {
	run -0 host_curl -T "$LAB_WWW/1m.bin" -o /dev/null -w '%{http_code}' \
		"http://$LAB_ORIGIN4/upload/up.bin"
	assert_match "$output" '^20[14]$'
	run -0 sha256sum "$LAB_UPLOAD_DIR/up.bin"
	assert_equal "${output%% *}" "$LAB_SHA256_1M"
}

@test "http: deny-test servers answer (doc, private, metadata)" {
	run -0 host_curl "http://$LAB_DOC4/" "http://doc.test/"
	assert_equal "$output" "$LAB_DOC_BODY"$'\n'"$LAB_DOC_BODY"
	run -0 host_curl "http://$LAB_PRIVATE4/" "http://private.test/" -g "http://[$LAB_PRIVATE6]/"
	assert_equal "$output" "$LAB_PRIVATE_BODY"$'\n'"$LAB_PRIVATE_BODY"$'\n'"$LAB_PRIVATE_BODY"
	run -0 host_curl "http://$LAB_METADATA4/" "http://metadata.test/" -g "http://[$LAB_METADATA6]/"
	assert_equal "$output" "$LAB_METADATA_BODY"$'\n'"$LAB_METADATA_BODY"$'\n'"$LAB_METADATA_BODY"
	run -0 host_curl "http://$LAB_METADATA4/latest/meta-data/instance-id"
	assert_equal "$output" "i-0c0ffee0childflow"
}

@test "dns: origin.test A and AAAA" {
	run -0 lab_host dig +short +time=2 +tries=1 "$LAB_ORIGIN_NAME" A
	assert_equal "$output" "$LAB_ORIGIN4"
	run -0 lab_host dig +short +time=2 +tries=1 "$LAB_ORIGIN_NAME" AAAA
	assert_equal "$output" "$LAB_ORIGIN6"
}

@test "dns: CNAME chain alias.test -> chain1.test -> origin.test" {
	run -0 lab_host dig +short +time=2 +tries=1 alias.test A
	assert_equal "$output" $'chain1.test.\norigin.test.\n'"$LAB_ORIGIN4"
	run -0 host_curl "http://alias.test/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
}

@test "dns: v6only.test has an AAAA and no A" {
	run -0 lab_host dig +short +time=2 +tries=1 v6only.test AAAA
	assert_equal "$output" "$LAB_ORIGIN6"
	run -0 lab_host dig +time=2 +tries=1 v6only.test A
	assert_match "$output" 'status: NOERROR'
	assert_match "$output" 'ANSWER: 0,'
}

@test "dns: names outside test. are NXDOMAIN, nothing is forwarded" {
	run -0 lab_host dig +time=2 +tries=1 example.com A
	assert_match "$output" 'status: NXDOMAIN'
	run -0 lab_host dig +time=2 +tries=1 nosuchname.test A
	assert_match "$output" 'status: NXDOMAIN'
}

@test "dns: other records, over IPv6 and over TCP" {
	run -0 lab_host dig +short +time=2 +tries=1 "@$LAB_DNS6" "$LAB_ORIGIN_NAME" AAAA
	assert_equal "$output" "$LAB_ORIGIN6"
	run -0 lab_host dig +short +time=2 +tries=1 +tcp "$LAB_PROXY_NAME" A
	assert_equal "$output" "$LAB_PROXY4"
	run -0 lab_host dig +short +time=2 +tries=1 private.test doc.test metadata.test blackhole.test
	assert_equal "$output" "$LAB_PRIVATE4"$'\n'"$LAB_DOC4"$'\n'"$LAB_METADATA4"$'\n'"$LAB_BLACKHOLE4"
	run -0 lab_host dig +short +time=2 +tries=1 txt.test TXT
	assert_equal "$output" '"childflow lab"'
	run -0 lab_host dig +short +time=2 +tries=1 "$LAB_ORIGIN_NAME" MX
	assert_equal "$output" "10 mail.$LAB_ORIGIN_NAME."
}

@test "tinyproxy: CONNECT and plain HTTP without auth, logged" {
	run -0 host_curl -x "http://$LAB_PROXY4:$LAB_HTTP_PROXY_PORT" "https://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -0 host_curl -x "http://$LAB_PROXY_NAME:$LAB_HTTP_PROXY_PORT" "http://$LAB_ORIGIN_NAME/hello.txt"
	assert_equal "$output" "hello from the childflow lab"
	run -0 grep -c "CONNECT $LAB_ORIGIN_NAME:443" "$LAB_DIR/tinyproxy-noauth.log"
}

@test "tinyproxy: Basic auth accepted, missing (407) and wrong credentials refused" {
	local p=http://$LAB_PROXY4:$LAB_HTTP_PROXY_AUTH_PORT
	run -0 host_curl -x "$p" -U "$LAB_PROXY_USER:$LAB_PROXY_PASS" "https://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -0 host_curl -x "$p" --proxy-user "$LAB_PROXY_USER:$LAB_PROXY_PASS" "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	# No credentials: 407, for CONNECT (curl exit 56) and for plain HTTP.
	run -56 --separate-stderr host_curl -x "$p" -o /dev/null -w '%{http_connect}' \
		"https://$LAB_ORIGIN_NAME/"
	assert_match "$output" '^407'
	run -0 host_curl -x "$p" -o /dev/null -w '%{http_code}' "http://$LAB_ORIGIN4/"
	assert_equal "$output" 407
	# Wrong credentials: tinyproxy 1.11.1 answers 401 (later versions 407).
	run -56 --separate-stderr host_curl -x "$p" -U "$LAB_PROXY_USER:wrong" -o /dev/null -w '%{http_connect}' \
		"https://$LAB_ORIGIN_NAME/"
	assert_match "$output" '^40[17]'
	run -0 grep -c "CONNECT $LAB_ORIGIN_NAME:443" "$LAB_DIR/tinyproxy-auth.log"
}

@test "dante: SOCKS5 with username/password, v4 and v6, logged; bad password refused" {
	local s=$LAB_PROXY4:$LAB_SOCKS_PORT
	run -0 host_curl --socks5-hostname "$s" --proxy-user "$LAB_SOCKS_USER:$LAB_SOCKS_PASS" \
		"https://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -0 host_curl --socks5 "[$LAB_PROXY6]:$LAB_SOCKS_PORT" -U "$LAB_SOCKS_USER:$LAB_SOCKS_PASS" \
		-g "http://[$LAB_ORIGIN6]/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -97 host_curl --socks5 "$s" --proxy-user "$LAB_SOCKS_USER:wrong" "http://$LAB_ORIGIN4/"
	run -97 host_curl --socks5 "$s" "http://$LAB_ORIGIN4/"
	run -0 grep -c "tcp/connect .*username%$LAB_SOCKS_USER@$LAB_HOST4" "$LAB_DIR/danted.log"
	run -0 grep -c "$LAB_ORIGIN6\.80" "$LAB_DIR/danted.log"
	run -0 grep -c 'password authentication failed' "$LAB_DIR/danted.log"
}

@test "stunnel: HTTPS proxy with the lab CA; self-signed and wrong-name ones fail verification" {
	run -0 host_curl -x "https://$LAB_PROXY_NAME:$LAB_HTTPS_PROXY_PORT" --proxy-cacert "$LAB_CA" \
		"https://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -60 host_curl -x "https://$LAB_PROXY_NAME:$LAB_HTTPS_PROXY_SELFSIGNED_PORT" \
		--proxy-cacert "$LAB_CA" "https://$LAB_ORIGIN_NAME/"
	run -60 host_curl -x "https://$LAB_PROXY_NAME:$LAB_HTTPS_PROXY_WRONGNAME_PORT" \
		--proxy-cacert "$LAB_CA" "https://$LAB_ORIGIN_NAME/"
	run -0 host_curl -x "https://$LAB_PROXY_NAME:$LAB_HTTPS_PROXY_SELFSIGNED_PORT" --proxy-insecure \
		"https://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	run -0 host_curl -x "https://$LAB_PROXY_NAME:$LAB_HTTPS_PROXY_WRONGNAME_PORT" --proxy-insecure \
		"https://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
}

@test "iperf3: one second over IPv4 and IPv6" {
	run -0 iperf_bytes "$LAB_ORIGIN4"
	((output > 0))
	run -0 iperf_bytes "$LAB_ORIGIN6"
	((output > 0))
}

@test "echo: UDP round trip over IPv4 and IPv6, and TCP" {
	run -0 echo_via ping-udp4 "UDP4:$LAB_ORIGIN4:$LAB_ECHO_PORT"
	assert_equal "$output" ping-udp4
	run -0 echo_via ping-udp6 "UDP6:[$LAB_ORIGIN6]:$LAB_ECHO_PORT"
	assert_equal "$output" ping-udp6
	run -0 echo_via ping-tcp4 "TCP4:$LAB_ORIGIN4:$LAB_ECHO_PORT"
	assert_equal "$output" ping-tcp4
	run -0 echo_via ping-tcp6 "TCP6:[$LAB_ORIGIN6]:$LAB_ECHO_PORT"
	assert_equal "$output" ping-tcp6
}

@test "traceroute: the router is the first hop (IPv4 and IPv6)" {
	run -0 lab_host traceroute -n -q 1 -w 2 -m 4 "$LAB_ORIGIN4"
	assert_match "$output" $'\n 1  '"$LAB_ROUTER4 "
	assert_match "$output" $'\n 2  '"$LAB_ORIGIN4 "
	run -0 lab_host traceroute -6 -n -q 1 -w 2 -m 4 "$LAB_ORIGIN6"
	assert_match "$output" $'\n 1  '"$LAB_ROUTER6 "
}

@test "ping: the unprivileged user pings through ICMP ping sockets" {
	# $LAB_DIR/bin/ping is a copy of ping without its file capability.
	run -0 getcap "$LAB_DIR/bin/ping"
	assert_equal "$output" ""
	run -0 lab_user "$LAB_DIR/bin/ping" -c 1 -W 2 "$LAB_ORIGIN4"
	assert_match "$output" '1 received'
	run -0 lab_user "$LAB_DIR/bin/ping" -6 -c 1 -W 2 "$LAB_ORIGIN6"
	assert_match "$output" '1 received'
}

@test "unreachable: 192.0.2.1 and 2001:db8:ffff::1 fail at once with host unreachable" {
	run -7 --separate-stderr host_curl --connect-timeout 5 -w '%{time_total}' "http://$LAB_UNREACH4/"
	assert_lt "$output" 0.5
	run -1 lab_host bash -c 'exec 3<>"/dev/tcp/$LAB_UNREACH4/80"'
	assert_match "$output" 'No route to host'
	run -7 --separate-stderr host_curl --connect-timeout 5 -w '%{time_total}' -g "http://[$LAB_UNREACH6]/"
	assert_lt "$output" 0.5
	run -1 lab_host ping -c 1 -W 2 "$LAB_UNREACH4"
	assert_match "$output" 'Destination Host Unreachable'
	# Any other address outside the lab fails the same way, and never leaves it.
	run -7 --separate-stderr host_curl --connect-timeout 5 -w '%{time_total}' http://203.0.113.99/
	assert_lt "$output" 0.5
}

@test "unreachable: a plain unreachable route (192.0.2.128/25) fails, after one SYN retry" {
	run -7 --separate-stderr host_curl --connect-timeout 5 -w '%{time_total}' "http://$LAB_UNREACH_ROUTE4/"
	assert_lt "$output" 3
}

@test "blackhole: 203.0.113.20 times out (curl exit 28)" {
	run -28 host_curl --connect-timeout 1 "http://$LAB_BLACKHOLE4/"
	run -28 host_curl --connect-timeout 1 -g "http://[$LAB_BLACKHOLE6]/"
}

@test "closed port: 203.0.113.10:9 is refused (curl exit 7)" {
	run -7 --separate-stderr host_curl --connect-timeout 5 -w '%{time_total}' \
		"http://$LAB_ORIGIN4:$LAB_CLOSED_PORT/"
	assert_lt "$output" 0.5
	run -1 lab_host bash -c 'exec 3<>"/dev/tcp/$LAB_ORIGIN4/$LAB_CLOSED_PORT"'
	assert_match "$output" 'Connection refused'
}

@test "capture: start, stop and count on the world's link" {
	lab_capture_start icmp "icmp and host $LAB_ORIGIN4"
	lab_host ping -c 3 -i 0.05 -q "$LAB_ORIGIN4"
	lab_capture_stop icmp
	run -0 lab_capture_count icmp
	assert_equal "$output" 6
	run -0 lab_capture_count icmp 'icmp.type == 8'
	assert_equal "$output" 3
	lab_capture_start all
	host_curl -o /dev/null "http://$LAB_ORIGIN4/"
	lab_capture_stop all
	run -0 lab_capture_count all "tcp.dstport == 80 and tcp.flags.syn == 1"
	assert_equal "$output" 1
	run -0 lab_capture_count all "ip.src == $LAB_HOST4 and ip.dst == $LAB_ORIGIN4"
	(( output >= 4 ))
	[[ -s $(lab_capture_file all) ]]
}

@test "capture: stops cleanly and completely, repeatedly" {
	local i
	for i in 1 2 3 4 5; do
		lab_capture_start "r$i" "icmp6 and host $LAB_ORIGIN6"
		lab_host ping -6 -c 1 -q "$LAB_ORIGIN6"
		lab_capture_stop "r$i"
		run -0 lab_capture_count "r$i" 'icmpv6.type == 128 or icmpv6.type == 129'
		assert_equal "$output" 2
	done
	run -0 world_commands
	[[ $output != *dumpcap* ]]
}

@test "tun: the test user can open /dev/net/tun; the real device stays 0600" {
	run -0 lab_user sh -c 'exec 3<>/dev/net/tun && echo opened'
	assert_equal "$output" opened
	run -0 stat -c '%a %U' /dev/net/tun
	assert_equal "$output" "600 root"
	# Not for the test user outside lab_user.
	run ! lab_host setpriv --reuid="$LAB_TEST_USER" --regid="$LAB_TEST_USER" --init-groups \
		sh -c 'exec 3<>/dev/net/tun'
}

@test "lab_user: unprivileged, with HOME, in the host namespace" {
	run -0 lab_user sh -c 'id -un; id -u; echo "$HOME $USER"; test -w "$HOME" && echo writable'
	assert_equal "${lines[0]}" "$LAB_TEST_USER"
	[[ ${lines[1]} != 0 ]]
	assert_equal "${lines[2]}" "$LAB_USER_HOME $LAB_TEST_USER"
	assert_equal "${lines[3]}" writable
	run -0 lab_user ip -br addr show "$LAB_HOST_IF"
	assert_match "$output" "$LAB_HOST4/24"
	run -1 lab_user cat /etc/shadow
}

@test "lab_tree_exec: root in the network namespace of a running process" {
	ip netns exec "$LAB_NS_HOST" unshare --net sleep 30 3>&- &
	local pid=$! i
	for i in $(seq 100); do
		[[ $(readlink "/proc/$pid/ns/net") != "$(readlink "/proc/$$/ns/net")" &&
			$(readlink "/proc/$pid/exe") == */sleep ]] && break
		sleep 0.02
	done
	lab_tree_exec "$pid" nft add table inet cflab_loss
	run -0 lab_tree_exec "$pid" nft list tables
	assert_match "$output" 'table inet cflab_loss'
	run -0 lab_tree_exec "$pid" ip -br link
	[[ $output != *"$LAB_HOST_IF"* ]]
	run -0 lab_host nft list tables
	[[ $output != *cflab_loss* ]]
	kill "$pid"
	wait "$pid" || true
}

@test "lab_world_addr: a new world address is reachable from the host" {
	lab_world_addr 203.0.113.77
	ip netns exec "$LAB_NS_WORLD" socat -T 5 TCP4-LISTEN:8077,bind=203.0.113.77,reuseaddr \
		SYSTEM:'echo extra' 3>&- &
	local pid=$!
	run -0 lab_host bash -c 'for i in $(seq 100); do
		socat -t 2 - TCP:203.0.113.77:8077 2>/dev/null </dev/null && exit 0
		sleep 0.05
	done
	exit 1'
	assert_equal "$output" extra
	wait "$pid" || true
}

@test "two labs coexist" {
	run -0 second_lab
	assert_equal "${lines[0]}" "$LAB_ORIGIN_BODY"
	assert_equal "${lines[1]}" 3
	assert_equal "${lines[2]}" ok
	run -0 host_curl "http://$LAB_ORIGIN4/"
}

@test "tests/lab/shell: runs in the host namespace and tears its lab down" {
	run -0 env -u LAB_NAME "$BATS_TEST_DIRNAME/../lab/shell" -c \
		'echo "ns=$LAB_NS_HOST"; ip -br addr show "$LAB_HOST_IF"; lab_user id -un; exit 0'
	local name
	name=$(sed -n 's/^ns=\(.*\)-host$/\1/p' <<<"$output")
	[[ -n $name && $name != "$LAB_NAME" ]]
	assert_match "$output" "$LAB_HOST4/24"
	assert_match "$output" "(^|"$'\n'")$LAB_TEST_USER("$'\n'"|$)"
	run -0 ip netns list
	[[ $output != *"$name-"* ]]
	[[ ! -e $LAB_BASE/$name ]]
	run -7 env -u LAB_NAME "$BATS_TEST_DIRNAME/../lab/shell" -c 'exit 7'
}

@test "lab_down: nothing is left and the root namespace is unchanged" {
	local name=$LAB_NAME dir=$LAB_DIR ids=$LAB_NETNS_IDS up
	up=$(cut -d' ' -f1 /proc/uptime)
	lab_down
	run -0 lab_down # idempotent
	run ip netns list
	[[ $output != *"$name-"* ]]
	[[ ! -e $dir ]]
	[[ ! -e /etc/netns/$name-host && ! -e /etc/netns/$name-world ]]
	# No process left in any of the lab's namespaces (started before lab_down:
	# a namespace id can be reused at once by another lab), nor naming its dir.
	local p id i start hz
	hz=$(getconf CLK_TCK)
	for p in /proc/[0-9]*; do
		id=$(stat -L -c %i "$p/ns/net" 2>/dev/null) || continue
		for i in $ids; do
			[[ $id == "$i" ]] || continue
			start=$(awk '{ sub(/^.*\) /, ""); print $20 }' "$p/stat" 2>/dev/null) || continue
			if ((start / hz <= ${up%.*})); then
				echo "left over: $(tr '\0' ' ' <"$p/cmdline")"
				false
			fi
		done
	done
	run pgrep -f "$dir"
	assert_equal "$status" 1
	root_net_state >"$BATS_FILE_TMPDIR/root-after"
	run -0 diff -u "$BATS_FILE_TMPDIR/root-before" "$BATS_FILE_TMPDIR/root-after"
}
