#!/usr/bin/env bats
# Policy, domain rules, the flow log, --summary, --report and
# --fail-on-leak, end to end in the lab as the unprivileged user: the
# allowed case reaches the origin, the denied case fails fast in the
# client, tshark on the world side sees nothing of it, and the flow log
# holds the exact policy_violation.

# shellcheck disable=SC2016 # single-quoted scripts run in the tree's shell

load helpers
load engine

setup() {
	require_childflow
	LOG=$LAB_USER_HOME/flows-$BATS_TEST_NUMBER.jsonl
}

# violation FIELD...: the policy_violation lines of $LOG, as jq -c of FIELDS
violations() {
	jq -c "select(.event == \"policy_violation\") | [$1]" "$LOG"
}

# has_fields EVENT FIELD...: every EVENT line of $LOG has every FIELD (null
# counts), and there is at least one such line
has_fields() {
	local ev=$1 want
	shift
	want=$(printf '"%s",' "$@")
	jq -se --arg ev "$ev" "map(select(.event == \$ev)) | length > 0 and all(.[]; ([${want%,}] - keys) == [])" "$LOG" >/dev/null ||
		{ echo "$ev lacks one of: $*"; return 1; }
}

@test "--block-metadata: the lab's 169.254.169.254 is denied, nothing reaches the world" {
	run cf user -- curl -sS -m 5 "http://$LAB_METADATA4/"
	assert_equal "$output" "$LAB_METADATA_BODY"
	lab_capture_start meta "host $LAB_METADATA4"
	user_fails_fast 2 --block-metadata --flow-log "$LOG" -- curl -sS -m 5 "http://$LAB_METADATA4/"
	lab_capture_stop meta
	assert_equal "$(lab_capture_count meta)" 0
	assert_equal "$(violations '.protocol,.remote,.reason_code,.control')" \
		"[\"tcp\",\"$LAB_METADATA4:80\",\"metadata\",\"--block-metadata\"]"
}

@test "--block-private: 10.0.0.0/8 and an IPv4-mapped IPv6 literal are denied" {
	lab_capture_start priv "host $LAB_PRIVATE4"
	user_fails_fast 2 --block-private --flow-log "$LOG" -- sh -c "curl -sS -m 5 http://$LAB_PRIVATE4/ || curl -sS -m 5 'http://[::ffff:$LAB_PRIVATE4]/' || exit 9"
	lab_capture_stop priv
	assert_equal "$CF_STATUS" 9
	assert_equal "$(lab_capture_count priv)" 0
	run violations '.reason_code,.control,.remote_ip'
	[[ ${lines[0]} == "[\"private\",\"--block-private\",\"$LAB_PRIVATE4\"]" ]]
	[[ ${lines[1]} == "[\"private\",\"--block-private\",\"::ffff:$LAB_PRIVATE4\"]" ||
		${lines[1]} == "[\"private\",\"--block-private\",\"$LAB_PRIVATE4\"]" ]]
	assert_equal "${#lines[@]}" 2
	# without the control the same address answers
	run cf user -- curl -sS -m 5 "http://$LAB_PRIVATE4/"
	assert_equal "$output" "$LAB_PRIVATE_BODY"
}

@test "--default-policy deny --allow-cidr 203.0.113.10/32; --deny-cidr wins over a wider allow" {
	run cf user --default-policy deny --allow-cidr "$LAB_ORIGIN4/32" -- curl -sS -m 5 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	user_fails_fast 2 --default-policy deny --allow-cidr "$LAB_ORIGIN4/32" --flow-log "$LOG" -- curl -sS -m 5 "http://$LAB_DOC4/"
	assert_equal "$(violations '.reason_code,.control,.matched_cidr')" '["default_deny","--default-policy",null]'
	LOG=$LOG.2
	user_fails_fast 2 --allow-cidr 203.0.113.0/24 --deny-cidr "$LAB_ORIGIN4/32" --flow-log "$LOG" -- curl -sS -m 5 "http://$LAB_ORIGIN4/"
	assert_equal "$(violations '.reason_code,.control,.matched_cidr,.reason')" \
		"[\"deny_cidr\",\"--deny-cidr\",\"$LAB_ORIGIN4/32\",\"blocked by \`--deny-cidr $LAB_ORIGIN4/32\`\"]"
}

@test "--allow-domain allows a subdomain; --allow-domain-exact denies it at DNS" {
	local hosts=$LAB_USER_HOME/hosts
	printf '%s www.origin.test\n' "$LAB_ORIGIN4" >"$hosts"
	chmod 644 "$hosts"
	run cf user --default-policy deny --allow-domain origin.test -- curl -sS -m 5 --cacert "$LAB_CA" https://www.origin.test/ --resolve "www.origin.test:443:$LAB_ORIGIN4"
	[[ $status -ne 0 ]] # --resolve bypasses DNS: no name ties the address, so it is denied
	run cf user --default-policy deny --allow-domain origin.test --hosts-file "$hosts" -- curl -sS -m 5 http://www.origin.test/
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	user_fails_fast 2 --default-policy deny --allow-domain-exact origin.test --flow-log "$LOG" -- curl -sS -m 5 http://chain1.test/
	assert_match "$CF_OUT" "Could not resolve host"
	assert_equal "$(violations '.protocol,.reason_code' | head -1)" '["dns","default_deny"]'
}

@test "--deny-domain reached through a CNAME chain, and a --hosts-file name denied" {
	lab_capture_start cname "host $LAB_ORIGIN4 and tcp"
	user_fails_fast 2 --deny-domain origin.test --flow-log "$LOG" -- curl -sS -m 5 http://alias.test/
	lab_capture_stop cname
	assert_equal "$(lab_capture_count cname)" 0
	assert_equal "$(violations '.protocol,.reason_code,.matched_domain' | sort -u | grep tcp)" '["tcp","deny_domain","origin.test"]'
	local hosts=$LAB_USER_HOME/hosts2
	printf '%s blocked.example\n' "$LAB_DOC4" >"$hosts"
	chmod 644 "$hosts"
	LOG=$LOG.2
	user_fails_fast 2 --deny-domain-exact blocked.example --hosts-file "$hosts" --flow-log "$LOG" -- curl -sS -m 5 http://blocked.example/
	assert_equal "$(violations '.reason_code,.matched_domain,.remote')" \
		"[\"deny_domain_exact\",\"blocked.example\",\"$LAB_DOC4:80\"]"
}

@test "UDP and ping denied with the right reason, at once" {
	user_fails_fast 2 --deny-cidr "$LAB_ORIGIN4/32" --flow-log "$LOG" -- sh -c "echo x | socat -T 1 - UDP:$LAB_ORIGIN4:$LAB_ECHO_PORT; $LAB_DIR/bin/ping -c 1 -W 1 $LAB_ORIGIN4 && exit 0; exit 3"
	run violations '.protocol,.reason_code'
	[[ $output == *'["udp","deny_cidr"]'* ]]
	[[ $output == *'["icmpv4","deny_cidr"]'* ]]
}

@test "--fail-on-leak turns exit 0 into 1 with its warning, and stays 0 when nothing was denied" {
	run --separate-stderr cf user --fail-on-leak --deny-cidr "$LAB_DOC4/32" -- sh -c "curl -sS -m 3 http://$LAB_DOC4/; exit 0"
	assert_equal "$status" 1
	[[ $stderr == *"--fail-on-leak"* ]]
	run --separate-stderr cf user --fail-on-leak --deny-cidr "$LAB_DOC4/32" -- curl -sS -m 5 "http://$LAB_ORIGIN4/"
	assert_equal "$status" 0
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	[[ $stderr != *"--fail-on-leak"* ]]
	# a failing command keeps its own status
	run cf user --fail-on-leak --deny-cidr "$LAB_DOC4/32" -- sh -c "curl -sS -m 3 http://$LAB_DOC4/; exit 5"
	assert_equal "$status" 5
}

@test "a mixed run's flow log: valid JSON, documented fields, byte counts equal to the transfer" {
	run cf user --deny-cidr "$LAB_DOC4/32" --flow-log "$LOG" -- sh -c "
		dig +short origin.test >/dev/null
		curl -sS -m 10 -o /dev/null http://origin.test/1m.bin
		curl -sS -m 10 -o /dev/null --cacert $LAB_CA https://origin.test/
		curl -sS -m 3 http://$LAB_DOC4/
		curl -sS -m 3 http://$LAB_ORIGIN4:$LAB_CLOSED_PORT/
		echo hello | socat -T 1 - UDP:$LAB_ORIGIN4:$LAB_ECHO_PORT
		$LAB_DIR/bin/ping -c 1 -W 2 $LAB_ORIGIN4 >/dev/null
		exit 0"
	jq -e . "$LOG" >/dev/null
	# every line has the common fields
	assert_equal "$(jq -c 'select(.schema_version != 1 or (.ts_ms|type) != "number" or (.event|type) != "string")' "$LOG")" ""
	# every event kind with its documented fields
	has_fields dns_query protocol server server_ip server_port qname qtype
	has_fields dns_answer protocol server qname qtype mode bytes answer_ips
	has_fields connect_attempt protocol remote_addr remote_ip remote_port via_proxy flow_id
	has_fields connect_result protocol remote_addr remote_ip remote_port via_proxy status error flow_id
	has_fields flow_end protocol remote_addr remote_ip remote_port bytes_sent bytes_received duration_ms end flow_id
	has_fields policy_violation protocol remote remote_ip remote_port action reason_code control matched_cidr matched_domain reason flow_id
	assert_equal "$(violations '.protocol,.reason_code')" '["tcp","deny_cidr"]'
	# a denied flow has its own id too, unlike any other flow's
	jq -se '[.[] | select(.event == "policy_violation") | .flow_id] | all(type == "number")' "$LOG" >/dev/null
	assert_equal "$(jq -s '[.[] | select(.flow_id != null and (.event == "policy_violation" or .event == "connect_attempt")) | .flow_id] | (length == (unique | length))' "$LOG")" true
	# every connect_attempt has one flow_end, the refused one too
	assert_equal "$(jq -s '([.[] | select(.event == "connect_attempt") | .flow_id] | sort) == ([.[] | select(.event == "flow_end" and .protocol == "tcp") | .flow_id] | sort)' "$LOG")" true
	assert_equal "$(jq -c 'select(.event == "flow_end" and .remote_port == '"$LAB_CLOSED_PORT"') | [.end, .bytes_sent, .bytes_received]' "$LOG")" '["reset",0,0]'
	# what the tree's first bytes named: the TLS server name, the HTTP Host
	assert_equal "$(jq -c 'select(.event == "flow_end" and .remote_port == 443) | [.sni, .http_host]' "$LOG")" '["origin.test",null]'
	assert_equal "$(jq -c 'select(.event == "flow_end" and .remote_port == 80 and .remote_ip == "'"$LAB_ORIGIN4"'") | [.sni, .http_host]' "$LOG")" '[null,"origin.test"]'
	# the 1 MiB download: the origin's file size, received by the tree
	local got
	got=$(jq -s '[.[] | select(.event == "flow_end" and .protocol == "tcp" and .remote_port == 80) | .bytes_received] | max' "$LOG")
	# the body plus nginx's response header, no more
	[[ $got -ge $LAB_SIZE_1M ]]
	[[ $got -lt $((LAB_SIZE_1M + 1000)) ]]
	# UDP and ICMP flows end with byte counts too
	jq -se 'any(.[]; .event == "flow_end" and .protocol == "udp" and .bytes_sent == 6 and .bytes_received == 6)' "$LOG" >/dev/null
	jq -se 'any(.[]; .event == "flow_end" and .protocol == "icmpv4" and .bytes_sent > 0)' "$LOG" >/dev/null

	# --report in all three formats
	run "$CHILDFLOW" --report "$LOG"
	assert_equal "$status" 0
	[[ $output == *deny_cidr* ]]
	run "$CHILDFLOW" --report "$LOG" --report-format markdown
	[[ ${lines[0]} == "## Highlights" || $output == *"## Highlights"* ]]
	run "$CHILDFLOW" --report "$LOG" --report-format json
	assert_equal "$(jq -r '.denials.by_reason[0].key' <<<"$output")" deny_cidr
	# a malformed line is reported with its number
	printf 'not json\n' >>"$LOG"
	run --separate-stderr "$CHILDFLOW" --report "$LOG"
	assert_equal "$status" 1
	[[ $stderr == *":$(wc -l <"$LOG"):"* ]]
}

@test "--summary in text and JSON, without --flow-log" {
	run --separate-stderr cf user --summary --deny-cidr "$LAB_DOC4/32" -- sh -c "curl -sS -m 3 http://$LAB_DOC4/; curl -sS -m 5 -o /dev/null http://$LAB_ORIGIN4/"
	[[ $stderr == *"childflow summary"* ]]
	[[ $stderr == *"deny_cidr"* ]]
	[[ $stderr == *"$LAB_ORIGIN4:80"* ]]
	run --separate-stderr cf user --summary --summary-format json --deny-cidr "$LAB_DOC4/32" -- curl -sS -m 3 "http://$LAB_DOC4/"
	local json
	json=$(sed -n '/^{/,$p' <<<"$stderr")
	assert_equal "$(jq -r '.denials.total' <<<"$json")" 1
	assert_equal "$(jq -r '.exit_status' <<<"$json")" "$status"
}
