#!/usr/bin/env bats
# --proxy-dns (src/engine/dns.c with src/policy/fakeip.c), in the lab as
# the unprivileged user: the engine answers A and AAAA with addresses of
# its pool (198.18.0.0/15, fd63:666c:6f77::/64) and other types with an
# empty answer, over UDP and TCP; a connection to a pool address goes
# through the proxy by name (tinyproxy logs CONNECT origin.test:80, dante
# gets a SOCKS5 domain address); no DNS packet reaches the lab's resolver;
# domain rules deny names at DNS; UDP and ping to pool addresses are
# denied; and with --no-proxy-dns under --proxy-only DNS is denied.

# shellcheck disable=SC2016 # single-quoted scripts run in the tree's shell

load helpers
load engine

setup() {
	require_childflow
	LOG=$LAB_USER_HOME/proxy-dns-$BATS_TEST_NUMBER.jsonl
	HTTP_PX=http://$LAB_PROXY4:$LAB_HTTP_PROXY_PORT
	SOCKS_H=socks5h://$LAB_PROXY4:$LAB_SOCKS_PORT
	POOL4='^198\.1[89]\.[0-9]+\.[0-9]+$'
	POOL6='^fd63:666c:6f77::[0-9a-f:]+$'
}

# events EVENT JQ: the jq -c of JQ for each EVENT line of $LOG, sorted,
# without repeats
events() {
	jq -c "select(.event == \"$1\") | $2" "$LOG" | sort -u
}

@test "http:// proxy: curl http://origin.test/ works, tinyproxy gets CONNECT origin.test:80, the flow log names the target" {
	local before
	before=$(grep -c "CONNECT $LAB_ORIGIN_NAME:80 " "$LAB_DIR/tinyproxy-noauth.log" || true)
	run cf user -p "$HTTP_PX" --proxy-dns --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	assert_lt "$before" "$(grep -c "CONNECT $LAB_ORIGIN_NAME:80 " "$LAB_DIR/tinyproxy-noauth.log")"
	# the attempt and its result name origin.test; remote_ip is the pool
	# address the tree connected to
	assert_equal "$(events connect_attempt '[.remote_addr, .via_proxy]')" "[\"$LAB_ORIGIN_NAME:80\",true]"
	assert_equal "$(events connect_result '[.remote_addr, .status, .via_proxy]')" "[\"$LAB_ORIGIN_NAME:80\",\"ok\",true]"
	run events connect_attempt '.remote_ip'
	[[ $(jq -r . <<<"$output") =~ $POOL4|$POOL6 ]]
	# answered by the engine: nothing relayed
	assert_equal "$(events dns_answer '.mode')" '"synthetic_proxy_dns"'
}

@test "socks5h:// through dante with credentials: on by default, the SOCKS5 request carries the name" {
	lab_capture_start socks "host $LAB_PROXY4 and tcp port $LAB_SOCKS_PORT"
	run cf user -p "$SOCKS_H" -U "$LAB_SOCKS_USER" -P "$LAB_SOCKS_PASS" --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN_NAME/"
	lab_capture_stop socks
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	# the CONNECT request's address is the domain name, not an address
	assert_equal "$(tshark -n -r "$(lab_capture_file socks)" -Y 'socks.remote_name' -T fields -e socks.remote_name 2>/dev/null | sort -u)" "$LAB_ORIGIN_NAME"
	assert_equal "$(events connect_result '[.remote_addr, .status, .via_proxy]')" "[\"$LAB_ORIGIN_NAME:80\",\"ok\",true]"
	# dante itself logged the connection it made for us
	grep -q "username%$LAB_SOCKS_USER@" "$LAB_DIR/danted.log"
}

@test "A gets a 198.18.0.0/15 address, AAAA a pool ULA, MX an empty answer; UDP and TCP alike, the same address every time" {
	run cf user -p "$HTTP_PX" --proxy-dns --flow-log "$LOG" -- sh -c '
		getent ahostsv4 origin.test | head -n 1 | cut -d" " -f1
		dig +short +time=2 +tries=1 origin.test AAAA
		dig +time=2 +tries=1 origin.test MX | grep -E "status|ANSWER:"
		dig +short +tcp +time=2 +tries=1 origin.test
		dig +short +tcp +time=2 +tries=1 origin.test AAAA
		dig +short +time=2 +tries=1 other.test'
	echo "$output"
	local lines
	mapfile -t lines <<<"$output"
	[[ ${lines[0]} =~ $POOL4 ]]
	[[ ${lines[1]} =~ $POOL6 ]]
	assert_match "${lines[2]}" "status: NOERROR"
	assert_match "${lines[3]}" "ANSWER: 0"
	assert_equal "${lines[4]}" "${lines[0]}" # over TCP: the same address
	assert_equal "${lines[5]}" "${lines[1]}"
	[[ ${lines[6]} =~ $POOL4 && ${lines[6]} != "${lines[0]}" ]]
	# a name the lab's resolver does not know still gets an address: the
	# proxy will say whether it exists
	assert_equal "$(events dns_answer '[.protocol, .qtype, .mode]')" "$(printf '%s\n' \
		'["tcp","AAAA","synthetic_proxy_dns"]' '["tcp","A","synthetic_proxy_dns"]' \
		'["udp","AAAA","synthetic_proxy_dns"]' '["udp","A","synthetic_proxy_dns"]' \
		'["udp","other","synthetic_empty"]' | sort)"
}

@test "--proxy-only turns --proxy-dns on: no DNS packet reaches the lab resolver, curl http://origin.test/ still works, the report counts nothing direct" {
	lab_capture_start nodns "host $LAB_DNS4 or host $LAB_DNS6 or port 53"
	run cf user -p "$HTTP_PX" --proxy-only --flow-log "$LOG" -- sh -c '
		curl -sS --max-time 10 http://origin.test/
		dig +short +time=2 +tries=1 origin.test MX
		dig +short +tcp +time=2 +tries=1 alias.test'
	lab_capture_stop nodns
	echo "$output"
	assert_match "$output" "^$LAB_ORIGIN_BODY"
	assert_equal "$(lab_capture_count nodns)" 0
	[[ -z $(events dns_answer 'select(.mode == "relayed")') ]]
	assert_equal "$(events connect_result 'select(.via_proxy) | [.remote_addr, .status]')" "[\"$LAB_ORIGIN_NAME:80\",\"ok\"]"
	# --report: the DNS over TCP went to childflow's resolver, which is
	# not a connection around the proxy
	run "$CHILDFLOW" --report "$LOG" --report-format json
	jq -e '.proxy_usage == {"via_proxy": 1, "direct": 0, "resolver": 1}' <<<"$output"
}

@test "--deny-domain under --proxy-dns: the name gets an empty answer and no pool address, curl fails fast, the flow log says why" {
	user_fails_fast 3 -p "$HTTP_PX" --proxy-dns --deny-domain origin.test --flow-log "$LOG" -- curl -sS --max-time 5 "http://$LAB_ORIGIN_NAME/"
	run events policy_violation '[.protocol, .reason_code, .control, .matched_domain]'
	assert_equal "$output" '["dns","deny_domain","--deny-domain","origin.test"]'
	[[ -z $(events dns_answer 'select(.answer_ips != [])') ]]
	[[ -z $(events connect_attempt '.') ]]
	# over TCP too, and through the fd00::3 address: the remote is that
	rm -f "$LOG"
	run cf user -p "$HTTP_PX" --proxy-dns --deny-domain origin.test --flow-log "$LOG" -- dig +tcp +time=2 +tries=1 @fd00::3 origin.test
	assert_match "$output" "ANSWER: 0"
	assert_equal "$(events policy_violation '[.protocol, .remote, .matched_domain]')" '["dns","[fd00::3]:53","origin.test"]'
	# other names are not affected
	run cf user -p "$HTTP_PX" --proxy-dns --deny-domain origin.test -- dig +short +time=2 +tries=1 notorigin.test
	[[ $output =~ $POOL4 ]]
}

@test "UDP and ping to a pool address are denied with proxy_only" {
	run cf user -p "$HTTP_PX" --proxy-dns --flow-log "$LOG" -- sh -c '
		a=$(getent ahostsv4 origin.test | head -n 1 | cut -d" " -f1)
		echo x | socat -t 1 - "UDP:$a:9" || true
		ping -c 1 -W 2 "$a" || true'
	assert_equal "$(events policy_violation '[.protocol, .reason_code]')" "$(printf '%s\n' '["icmpv4","proxy_only"]' '["udp","proxy_only"]')"
	run events policy_violation '.remote_ip'
	[[ $(jq -r . <<<"$output" | sort -u) =~ $POOL4 ]]
}

@test "a pool address that stands for no name: the tree gets 'no route to host' at once, the flow log says why, nothing reaches the proxy" {
	local before
	before=$(wc -l <"$LAB_DIR/tinyproxy-noauth.log")
	# 198.18.200.7 was never handed out in this run (a program may keep
	# an address from an earlier one)
	cf_timed user -p "$HTTP_PX" --proxy-dns --flow-log "$LOG" -- bash -c 'exec 3<>/dev/tcp/198.18.200.7/80'
	echo "$CF_OUT"
	assert_equal "$CF_STATUS" 1
	assert_match "$CF_OUT" "No route to host"
	assert_lt "$CF_SECONDS" 3
	assert_equal "$(events connect_attempt '[.remote_addr, .via_proxy]')" '["198.18.200.7:80",true]'
	assert_equal "$(events connect_result '[.status, .error, .error_detail]')" \
		'["error","unreachable","--proxy-dns: 198.18.200.7 stands for no name in this run; resolve the name again"]'
	# every attempt ends, with nothing moved
	assert_equal "$(events flow_end '[.protocol, .bytes_sent, .bytes_received]')" '["tcp",0,0]'
	assert_equal "$(wc -l <"$LAB_DIR/tinyproxy-noauth.log")" "$before"
}

@test "--proxy-only --no-proxy-dns: DNS to the engine is denied with proxy_only, over UDP and TCP" {
	lab_capture_start pdoff "host $LAB_DNS4 or host $LAB_DNS6 or port 53"
	cf_timed user -p "$HTTP_PX" --proxy-only --no-proxy-dns --flow-log "$LOG" -- sh -c '
		dig +time=2 +tries=1 origin.test | grep status:
		dig +tcp +time=2 +tries=1 origin.test | grep -E "status:|connection refused|failed"'
	lab_capture_stop pdoff
	echo "$CF_OUT"
	assert_match "$CF_OUT" "status: REFUSED"
	assert_lt "$CF_SECONDS" 6
	assert_equal "$(lab_capture_count pdoff)" 0
	assert_equal "$(events policy_violation '[.protocol, .reason_code]')" '["dns","proxy_only"]'
	[[ $(jq -s 'map(select(.event == "policy_violation")) | length' "$LOG") -ge 2 ]]
}

@test "30 concurrent connections by name through the proxy each move 1 MiB intact" {
	run cf user -p "$HTTP_PX" --proxy-dns --flow-log "$LOG" -- sh -c '
		for i in $(seq 30); do
			curl -sS --max-time 60 "http://origin.test/1m.bin" | sha256sum | cut -d" " -f1 >"$HOME/pd-sum-$i" &
		done
		wait
		cat "$HOME"/pd-sum-* | sort | uniq -c; rm -f "$HOME"/pd-sum-*'
	assert_equal "$(echo "$output" | awk '{print $1, $2}')" "30 $LAB_SHA256_1M"
	assert_equal "$(events connect_result '[.remote_addr, .status, .via_proxy]')" "[\"$LAB_ORIGIN_NAME:80\",\"ok\",true]"
	# curl may try both the A and the AAAA address: at least 30 attempts,
	# and each one has its flow_end
	run jq -s '[(map(select(.event == "connect_attempt" and .remote_addr == "origin.test:80")) | length),
		(map(select(.event == "flow_end" and .remote_addr == "origin.test:80")) | length)]' "$LOG"
	echo "$output"
	[[ $(jq '.[0] >= 30 and .[0] == .[1]' <<<"$output") == true ]]
}
