#!/usr/bin/env bats
# DNS through the engine's resolver (src/engine/dns.c) at 10.0.2.3 and
# fd00::3, in the lab, as root and as the unprivileged test user: dig over
# UDP and TCP by the tree's resolv.conf, getent, --dns redirecting any
# server, a CNAME chain, --hosts-file, and --offline answering REFUSED at
# once with nothing leaving the tree (seen by tshark on the world side);
# over TCP the engine answers what it answers over UDP (denied names,
# AAAA without IPv6) and relays the rest, several queries per connection.

load helpers
load engine

setup_file() {
	lab_file_up
	export DNS_DIR=$LAB_DIR/engine-dns
	mkdir -m 0755 "$DNS_DIR"
	printf '203.0.113.77\tmyname.test myalias\n2001:db8::77\tmyname6.test\n' \
		>"$DNS_DIR/hosts"
	chmod 0644 "$DNS_DIR/hosts"
}

setup() {
	require_childflow
}

@test "dig by resolv.conf over UDP and TCP, A and AAAA, root and user" {
	local who
	for who in root user; do
		run cf "$who" -- dig +short +time=2 +tries=1 "$LAB_ORIGIN_NAME"
		assert_equal "$output" "$LAB_ORIGIN4"
		run cf "$who" -- dig +short +tcp +time=2 +tries=1 "$LAB_ORIGIN_NAME"
		assert_equal "$output" "$LAB_ORIGIN4"
		run cf "$who" -- dig +short +time=2 +tries=1 "$LAB_ORIGIN_NAME" AAAA
		assert_equal "$output" "$LAB_ORIGIN6"
		run cf "$who" -- dig +short +tcp +time=2 +tries=1 v6only.test AAAA
		assert_equal "$output" "$LAB_ORIGIN6"
		# the engine's IPv6 address answers too
		run cf "$who" -- dig +short +time=2 +tries=1 @fd00::3 "$LAB_ORIGIN_NAME"
		assert_equal "$output" "$LAB_ORIGIN4"
	done
}

@test "getent hosts resolves through the engine, root and user" {
	local who
	for who in root user; do
		run cf "$who" -- getent hosts "$LAB_ORIGIN_NAME"
		assert_match "$output" "$LAB_ORIGIN6 +$LAB_ORIGIN_NAME"
		run cf "$who" -- getent ahostsv4 "$LAB_ORIGIN_NAME"
		assert_match "$output" "$LAB_ORIGIN4"
	done
}

@test "a CNAME chain is answered whole" {
	run cf user -- dig +short +time=2 +tries=1 alias.test
	assert_equal "$output" $'chain1.test.\norigin.test.\n'"$LAB_ORIGIN4"
}

@test "--dns redirects DNS to any address (dig @192.0.2.99), UDP and TCP, root and user" {
	local who
	for who in root user; do
		run cf "$who" --dns "$LAB_DNS4" -- dig +short +time=2 +tries=1 @192.0.2.99 "$LAB_ORIGIN_NAME"
		assert_equal "$output" "$LAB_ORIGIN4"
		run cf "$who" --dns "$LAB_DNS4" -- dig +short +tcp +time=2 +tries=1 @192.0.2.99 "$LAB_ORIGIN_NAME"
		assert_equal "$output" "$LAB_ORIGIN4"
		run cf "$who" --dns "$LAB_DNS6" -- dig +short +time=2 +tries=1 @2001:db8::99 "$LAB_ORIGIN_NAME"
		assert_equal "$output" "$LAB_ORIGIN4"
	done
}

@test "without --dns, DNS to another server goes there unchanged" {
	run cf root -- dig +short +time=2 +tries=1 "@$LAB_DNS4" "$LAB_ORIGIN_NAME"
	assert_equal "$output" "$LAB_ORIGIN4"
}

@test "--hosts-file names resolve, root and user" {
	local who
	for who in root user; do
		run cf "$who" --hosts-file "$DNS_DIR/hosts" -- getent hosts myalias
		assert_match "$output" "203.0.113.77 +myname.test"
		run cf "$who" --hosts-file "$DNS_DIR/hosts" -- getent hosts myname6.test
		assert_match "$output" "2001:db8::77 +myname6.test"
	done
}

@test "--offline: dig gets REFUSED and curl fails, each in under a second, and nothing reaches the world" {
	local who
	lab_capture_start offline "host $LAB_HOST4 or host $LAB_HOST6"
	for who in root user; do
		cf_timed "$who" --offline -- dig +time=3 +tries=1 "$LAB_ORIGIN_NAME"
		echo "$who dig: $CF_STATUS in $CF_SECONDS s"
		assert_match "$CF_OUT" "status: REFUSED"
		assert_lt "$CF_SECONDS" 1
		cf_timed "$who" --offline -- dig +tcp +time=3 +tries=1 "$LAB_ORIGIN_NAME"
		assert_lt "$CF_SECONDS" 1
		cf_timed "$who" --offline -- curl -sS --max-time 5 "http://$LAB_ORIGIN_NAME/"
		echo "$who curl by name: $CF_STATUS in $CF_SECONDS s: $CF_OUT"
		[[ $CF_STATUS -ne 0 ]]
		assert_lt "$CF_SECONDS" 1
		cf_timed "$who" --offline -- curl -sS --max-time 5 "http://$LAB_ORIGIN4/"
		[[ $CF_STATUS -eq 7 ]]
		assert_lt "$CF_SECONDS" 1
		cf_timed "$who" --offline -- curl -sS --max-time 5 "http://[$LAB_ORIGIN6]/"
		[[ $CF_STATUS -eq 7 ]]
		cf "$who" --offline -- ping -c 1 -W 1 "$LAB_ORIGIN4" || true
		cf "$who" --offline -- sh -c "echo x | socat -t 1 - UDP:$LAB_ORIGIN4:$LAB_ECHO_PORT" || true
	done
	lab_capture_stop offline
	assert_equal "$(lab_capture_count offline)" 0
}

@test "a host without an IPv6 route: AAAA answered empty and IPv6 connects refused at once" {
	# an empty network namespace: no route at all, so no IPv6 route
	run lab_host unshare -n sh -c "ip link set lo up
		'$CHILDFLOW' -- dig +time=3 +tries=1 $LAB_ORIGIN_NAME AAAA"
	assert_match "$output" "status: NOERROR"
	assert_match "$output" "ANSWER: 0"
	# over TCP the same (no resolver is reachable there: the engine
	# answers without asking one)
	run lab_host unshare -n sh -c "ip link set lo up
		'$CHILDFLOW' -- dig +tcp +time=3 +tries=1 $LAB_ORIGIN_NAME AAAA"
	assert_match "$output" "status: NOERROR"
	assert_match "$output" "ANSWER: 0"
	run lab_host unshare -n sh -c "ip link set lo up
		exec '$CHILDFLOW' -- curl -sS --max-time 5 -w '%{time_total}' http://[$LAB_ORIGIN6]/"
	[[ $status -eq 7 ]]
}

@test "DNS over TCP: a denied name gets the engine's empty answer and nothing reaches the resolver; the fd00::3 remote is right" {
	local log=$LAB_USER_HOME/dns-tcp-deny.jsonl
	lab_capture_start tcpdeny "host $LAB_DNS4 or host $LAB_DNS6"
	cf_timed user --deny-domain "$LAB_ORIGIN_NAME" --flow-log "$log" -- sh -c "
		dig +tcp +time=3 +tries=1 $LAB_ORIGIN_NAME
		dig +tcp +time=3 +tries=1 @fd00::3 $LAB_ORIGIN_NAME AAAA
		dig +time=3 +tries=1 @fd00::3 $LAB_ORIGIN_NAME"
	lab_capture_stop tcpdeny
	echo "$CF_OUT"
	assert_equal "$(grep -c 'status: NOERROR' <<<"$CF_OUT")" 3
	assert_equal "$(grep -c 'ANSWER: 0,' <<<"$CF_OUT")" 3
	assert_lt "$CF_SECONDS" 3
	assert_equal "$(lab_capture_count tcpdeny)" 0
	run jq -c 'select(.event == "policy_violation") | [.protocol, .remote, .reason_code, .matched_domain]' "$log"
	assert_equal "$output" "$(printf '%s\n' \
		"[\"dns\",\"10.0.2.3:53\",\"deny_domain\",\"$LAB_ORIGIN_NAME\"]" \
		"[\"dns\",\"[fd00::3]:53\",\"deny_domain\",\"$LAB_ORIGIN_NAME\"]" \
		"[\"dns\",\"[fd00::3]:53\",\"deny_domain\",\"$LAB_ORIGIN_NAME\"]")"
	run jq -r 'select(.event == "dns_answer") | [.protocol, .mode] | @tsv' "$log"
	assert_equal "$output" "$(printf 'tcp\tsynthetic_empty\ntcp\tsynthetic_empty\nudp\tsynthetic_empty')"
}

@test "DNS over TCP: allowed names still resolve upstream, several queries on one connection, denied and allowed mixed" {
	local log=$LAB_USER_HOME/dns-tcp-mixed.jsonl
	run cf user --deny-domain-exact "$LAB_ORIGIN_NAME" --flow-log "$log" -- \
		dig +tcp +keepopen +short +time=3 +tries=1 v6only.test AAAA "$LAB_ORIGIN_NAME" A alias.test A
	echo "$output"
	# v6only.test, nothing for origin.test, and alias.test's chain up to
	# origin.test (only origin.test itself is denied)
	assert_equal "$output" "$(printf '%s\n' "$LAB_ORIGIN6" chain1.test. origin.test. "$LAB_ORIGIN4")"
	# one TCP connection carried the three queries and answers
	assert_equal "$(jq -r 'select(.event == "connect_attempt") | .remote_addr' "$log")" "10.0.2.3:53"
	run jq -r 'select(.event == "dns_answer") | [.protocol, .qname, .mode] | @tsv' "$log"
	assert_equal "$(sort <<<"$output")" "$(printf 'tcp\talias.test\trelayed\ntcp\torigin.test\tsynthetic_empty\ntcp\tv6only.test\trelayed')"
	assert_equal "$(jq -r 'select(.event == "dns_query") | .flow_id' "$log" | sort -u)" \
		"$(jq -r 'select(.event == "connect_attempt") | .flow_id' "$log")"
}

# dns_tcp_ids_ancounts: read DNS-over-TCP answers (hex bytes from od) on
# stdin, print "ID ANCOUNT" for each, sorted
dns_tcp_ids_ancounts() {
	local -a b
	local i=0 len
	read -r -a b <<<"$(tr '\n' ' ')"
	while ((i + 12 <= ${#b[@]})); do
		len=$((16#${b[i]}${b[i + 1]}))
		printf '%d %d\n' "$((16#${b[i + 2]}${b[i + 3]}))" "$((16#${b[i + 8]}${b[i + 9]}))"
		i=$((i + 2 + len))
	done | sort
}

@test "DNS over TCP: three queries written at once, then a half-close, get their three answers" {
	# ids 1, 2, 3: origin.test A (denied: no answer record), v6only.test
	# AAAA (1 record), alias.test A (the CNAME chain: 3 records)
	local q1='\000\035\000\001\001\000\000\001\000\000\000\000\000\000\006origin\004test\000\000\001\000\001'
	local q2='\000\035\000\002\001\000\000\001\000\000\000\000\000\000\006v6only\004test\000\000\034\000\001'
	local q3='\000\034\000\003\001\000\000\001\000\000\000\000\000\000\005alias\004test\000\000\001\000\001'
	run cf user --deny-domain-exact "$LAB_ORIGIN_NAME" -- sh -c \
		"printf '$q1$q2$q3' | socat -t 5 - TCP:10.0.2.3:53 | od -An -tx1 -v"
	assert_equal "$(dns_tcp_ids_ancounts <<<"$output")" "$(printf '1 0\n2 1\n3 3')"
}
