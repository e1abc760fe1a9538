#!/usr/bin/env bats
# UDP and ICMP through the rootless engine (src/engine/udp.c, icmp.c), in
# the lab, as root and as the unprivileged test user: ping, traceroute over
# UDP and ICMP showing the lab's router as the first hop, UDP echo, and
# --offline refusing both with ICMP admin-prohibited.

load helpers
load engine

setup() {
	require_childflow
}

@test "ping -c 3 over IPv4 and IPv6, root and user" {
	local who
	for who in root user; do
		run cf "$who" -- ping -c 3 -i 0.2 -W 2 "$LAB_ORIGIN4"
		echo "$output"
		[[ $status -eq 0 ]]
		assert_match "$output" "3 packets transmitted, 3 received"
		run cf "$who" -- ping -6 -c 3 -i 0.2 -W 2 "$LAB_ORIGIN6"
		echo "$output"
		[[ $status -eq 0 ]]
		assert_match "$output" "3 packets transmitted, 3 received"
	done
}

@test "ping of the engine's own gateway address is answered" {
	run cf root -- ping -c 1 -W 2 10.0.2.2
	[[ $status -eq 0 ]]
	run cf user -- ping -6 -c 1 -W 2 fd00::2
	[[ $status -eq 0 ]]
}

# traceroute runs with -N 1 (one probe at a time): unprivileged, it sends
# from one ping or UDP socket with IP_RECVERR, and when the time exceeded
# of probe 1 comes back before probe 2 is sent (microseconds in the lab,
# with or without childflow) the kernel fails that send with the pending
# error and traceroute prints "*" for hop 2. One at a time, traceroute
# reads each error before the next send.
@test "traceroute -n (UDP) shows the lab's router as the first hop, v4 and v6, root and user" {
	local who
	for who in root user; do
		run cf "$who" -- traceroute -n -N 1 -q 1 -w 2 -m 4 "$LAB_ORIGIN4"
		echo "$output"
		[[ $status -eq 0 ]]
		assert_match "$output" $'\n 1  '"$LAB_ROUTER4 "
		assert_match "$output" " 2  $LAB_ORIGIN4 "
		run cf "$who" -- traceroute -6 -n -N 1 -q 1 -w 2 -m 4 "$LAB_ORIGIN6"
		echo "$output"
		[[ $status -eq 0 ]]
		assert_match "$output" $'\n 1  '"$LAB_ROUTER6 "
	done
}

@test "traceroute -n -I (ICMP) shows the lab's router as the first hop, v4 and v6, root and user" {
	local who
	for who in root user; do
		run cf "$who" -- traceroute -I -n -N 1 -q 1 -w 2 -m 4 "$LAB_ORIGIN4"
		echo "$output"
		[[ $status -eq 0 ]]
		assert_match "$output" $'\n 1  '"$LAB_ROUTER4 "
		assert_match "$output" " 2  $LAB_ORIGIN4 "
		run cf "$who" -- traceroute -6 -I -n -N 1 -q 1 -w 2 -m 4 "$LAB_ORIGIN6"
		echo "$output"
		[[ $status -eq 0 ]]
		assert_match "$output" $'\n 1  '"$LAB_ROUTER6 "
	done
}

@test "UDP echo round trips over IPv4 and IPv6, root and user" {
	local who
	for who in root user; do
		run cf "$who" -- sh -c "echo udp-v4-$who | socat -t 2 - UDP:$LAB_ORIGIN4:$LAB_ECHO_PORT"
		assert_equal "$output" "udp-v4-$who"
		run cf "$who" -- sh -c "echo udp-v6-$who | socat -t 2 - UDP6:[$LAB_ORIGIN6]:$LAB_ECHO_PORT"
		assert_equal "$output" "udp-v6-$who"
	done
}

@test "one UDP socket talks to several destinations, each answering as itself" {
	# one source, two destinations: the origin's echo and the resolver
	run cf user -- python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
big = bytes(range(256)) * 31  # socat echoes up to 8 KiB
s.sendto(big, ('$LAB_ORIGIN4', $LAB_ECHO_PORT))
data, src = s.recvfrom(65535)
assert data == big and src == ('$LAB_ORIGIN4', $LAB_ECHO_PORT), src
q = bytes.fromhex('abcd01000001000000000000066f726967696e04746573740000010001')
s.sendto(q, ('$LAB_DNS4', 53))
data, src = s.recvfrom(65535)
assert data[:2] == b'\xab\xcd' and src == ('$LAB_DNS4', 53), src
print('ok')
"
	echo "$output"
	assert_equal "$output" "ok"
}

# udp_inject_later: after a second, send "samehost" from the origin's
# address (another port) and "stranger" from an address the tree never
# sent to, from the world to every UDP port childflow has open in the host
udp_inject_later() {
	(
		local port i
		for i in $(seq 30); do
			sleep 0.1
			ports=$(lab_host ss -Hunap | awk '/"childflow"/ { n = split($4, a, ":"); print a[n] }')
			[[ -n $ports ]] && break
		done
		sleep 0.5
		for port in $ports; do
			echo samehost | lab_world socat -u - "UDP4-SENDTO:$LAB_HOST4:$port,bind=$LAB_ORIGIN4:9999"
			echo stranger | lab_world socat -u - "UDP4-SENDTO:$LAB_HOST4:$port,bind=$LAB_DOC4"
		done
	) >/dev/null 2>&1 &
}

@test "UDP replies come only from addresses the tree sent to (any port of them)" {
	udp_inject_later
	run cf user -- python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
s.sendto(b'hello', ('$LAB_ORIGIN4', $LAB_ECHO_PORT))
end = time.time() + 4
while time.time() < end:
    try:
        data, src = s.recvfrom(100)
    except socket.timeout:
        continue
    print(src[0], src[1], data.decode().strip())
"
	wait
	echo "$output"
	assert_match "$output" "$LAB_ORIGIN4 $LAB_ECHO_PORT hello"
	assert_match "$output" "$LAB_ORIGIN4 9999 samehost"
	[[ $output != *stranger* ]]
}

@test "a UDP datagram to a closed port gets port unreachable (ECONNREFUSED)" {
	run cf root -- python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(('$LAB_ORIGIN4', $LAB_CLOSED_PORT))
s.send(b'x')
try:
    s.recv(100)
    print('answered')
except ConnectionRefusedError:
    print('refused')
"
	assert_equal "$output" "refused"
}

@test "--offline: ping and UDP are refused at once (admin prohibited), root and user" {
	local who
	for who in root user; do
		cf_timed "$who" --offline -- ping -c 1 -W 3 "$LAB_ORIGIN4"
		echo "$who: $CF_STATUS in $CF_SECONDS s: $CF_OUT"
		[[ $CF_STATUS -ne 0 ]]
		assert_match "$CF_OUT" "Packet filtered|Communication administratively prohibited|1 errors"
		assert_lt "$CF_SECONDS" 1
	done
}

@test "without ping sockets: root echoes through raw sockets; a user gets admin-prohibited and one warning" {
	local old
	old=$(lab_host cat /proc/sys/net/ipv4/ping_group_range | tr '\t' ' ')
	lab_host sysctl -qw net.ipv4.ping_group_range="1 0"
	run cf root -- ping -c 2 -i 0.2 -W 2 "$LAB_ORIGIN4"
	local root_ping=$status root_out=$output
	run cf root -- traceroute -I -n -N 1 -q 1 -w 2 -m 3 "$LAB_ORIGIN4"
	local root_tr=$output
	run cf user -- ping -c 1 -W 2 "$LAB_ORIGIN4"
	local user_ping=$status user_out=$output
	lab_host sysctl -qw net.ipv4.ping_group_range="$old"
	echo "$root_out"
	[[ $root_ping -eq 0 ]]
	assert_match "$root_tr" $'\n 1  '"$LAB_ROUTER4 "
	echo "$user_out"
	[[ $user_ping -ne 0 ]]
	assert_match "$user_out" "neither ping sockets"
	assert_match "$user_out" "Packet filtered|administratively prohibited|1 errors"
}
