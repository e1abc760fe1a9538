#!/usr/bin/env bats
# --report FILE: a saved flow log read back, in text, Markdown and JSON, as
# users and CI jobs run it. The logs are the unit tests' fixtures: realistic
# runs with every event of SPEC.md §3 and the additions. No lab needed:
# nothing here sends a packet.

bats_require_minimum_version 1.5.0

setup_file() {
	export CHILDFLOW="${CHILDFLOW:-$BATS_TEST_DIRNAME/../../build/childflow}"
	[ -x "$CHILDFLOW" ] || { echo "build childflow first: $CHILDFLOW" >&2; return 1; }
	export FIX="$BATS_TEST_DIRNAME/../unit/observe/fixtures"
}

setup() {
	T="$BATS_TEST_TMPDIR"
}

# report FILE FORMAT - run --report, which must succeed with nothing on stderr
report() {
	run --separate-stderr "$CHILDFLOW" --report "$1" --report-format "$2"
	[ "$status" -eq 0 ] || { echo "status $status, stderr: $stderr"; return 1; }
	[ -z "$stderr" ] || { echo "stderr was: $stderr"; return 1; }
}

# has TEXT - the last output holds the line TEXT exactly
has() {
	grep -qxF -- "$1" <<<"$output" || { echo "no line '$1' in:"; echo "$output"; return 1; }
}

# lacks REGEX - no line of the last output matches REGEX
lacks() {
	if grep -qE -- "$1" <<<"$output"; then
		echo "unexpected '$1' in:"; echo "$output"; return 1
	fi
}

@test "text: header, ranked sections with aligned columns, (N more)" {
	report "$FIX/full.jsonl" text
	[ "${lines[0]}" = "childflow report" ]
	has "  flow log          $FIX/full.jsonl"
	has "  lines             54"
	has "  events            53"
	has "  unknown events    1"
	has "  denials           7"
	has "  connect errors    5"
	has "  runtime failures  2"
	has "  bytes received    1066524"
	for title in Events Protocols "Proxy usage" "Denials by reason" \
		"Denials by control" "Denials by matched domain" \
		"Denials by matched CIDR" "Connect errors" \
		"Runtime failures by reason" "Runtime failures by phase" \
		"Top connection targets" "Top DNS names" "DNS answers by mode" \
		"DNS queries by type" "Flows by end"; do
		has "$title"
	done
	has "  EVENT                   COUNT"
	has "  connect_attempt            11"
	has "  quic_initial (unknown)      1"
	has "  direct                    9"
	has "  via proxy                 2"
	has "  deny_cidr              2"
	has "  tracker.test                  2  198.51.100.7:443"
	has "  198.51.100.0/24      2"
	has "  refused            2"
	has "  ping_socket_denied      2  ping_group_range 1 0 excludes gid 1000: echo requests are refused"
	has "  203.0.113.10:443        4   4       0       0  3689   1061280  example.test, www.example.test"
	has "  198.51.100.7:443        2   0       0       2     0         0  cdn.example.test"
	has "  (6 more)"
	has "  example.test                  3        3  2001:db8::10, 203.0.113.10"
	# highest count first, ties by name
	run grep -A3 -x 'Connect errors' <<<"$output"
	[ "${lines[2]}" = "  refused            2" ]
	[ "${lines[3]}" = "  proxy_refused      1" ]
	# no trailing blanks anywhere
	report "$FIX/full.jsonl" text
	lacks ' $'
}

@test "text is the default format, and comes from a profile too" {
	run --separate-stderr "$CHILDFLOW" --report "$FIX/full.jsonl"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "childflow report" ]
	printf 'report_format = "json"\n' >"$T/p.toml"
	run --separate-stderr "$CHILDFLOW" --profile "$T/p.toml" --report "$FIX/full.jsonl"
	[ "$status" -eq 0 ]
	jq -e '.events.total == 53' <<<"$output"
}

@test "markdown: Highlights first, then GitHub tables" {
	report "$FIX/full.jsonl" markdown
	[ "${lines[0]}" = "## Highlights" ]
	has "- **53** events, 1 of unknown kind"
	has "- **7 denials**, most for deny_cidr (2)"
	has "- **5 connect errors**, most refused (2)"
	has "- **2 runtime failures**, most ping_socket_denied; phase run"
	has "- Top target: 203.0.113.10:443 (4 flows; example.test)"
	has "- Top DNS name: example.test (3 queries)"
	has "- Proxy: 2 of 11 connect attempts via the proxy"
	has "- Traffic: 9 flows ended, 4.6 KiB sent, 1.0 MiB received"
	has "### Connect errors"
	has "| error | count |"
	has "|---|---:|"
	has "| refused | 2 |"
	has "| quic_initial (unknown) | 1 |"
	has "| target | flows | ok | errors | denied | sent | received | names |"
	has "| 203.0.113.10:443 | 4 | 4 | 0 | 0 | 3689 | 1061280 | example.test, www.example.test |"
	has "| tracker.test | 2 | 198.51.100.7:443 |"
	has "(6 more)"
	# every table row has as many cells as its header
	awk -F'|' '/^\|/ { if (!n) n = NF; else if (NF != n) exit 1; next } { n = 0 }' <<<"$output"
}

@test "markdown: cells escape '|' and control bytes, empty sections are left out" {
	report "$FIX/escapes.jsonl" markdown
	has "- **1 connect error**, most proxy\\|refused (1)"
	has "| proxy\\|refused | 1 |"
	has "| bell\\x07here | 1 | x |"
	lacks $'\a'
	lacks '### Denials by reason'
	has "- No denials"
	report "$FIX/escapes.jsonl" text
	has "  proxy|refused      1"
	lacks $'\a'
}

@test "json: one object, stable keys, ranked arrays" {
	report "$FIX/full.jsonl" json
	jq -e 'type == "object"' <<<"$output"
	jq -e '[keys_unsorted[]] == ["flow_log", "lines", "schema_versions", "events",
		"protocols", "proxy_usage", "denials", "connects",
		"runtime_failures", "targets", "dns", "traffic", "limits"]' <<<"$output"
	jq -e --arg f "$FIX/full.jsonl" '.flow_log == $f and .lines == 54' <<<"$output"
	jq -e '.schema_versions == [{"key": "1", "count": 53}]' <<<"$output"
	jq -e '.events.total == 53 and .events.dns_query == 6 and .events.flow_end == 9' <<<"$output"
	jq -e '.events.by_name[0] == {"key": "connect_attempt", "count": 11}' <<<"$output"
	jq -e '.protocols[0] == {"key": "tcp", "count": 36}' <<<"$output"
	jq -e '.proxy_usage == {"via_proxy": 2, "direct": 9, "resolver": 0}' <<<"$output"
	jq -e '.denials.total == 7' <<<"$output"
	jq -e '[.denials.by_reason[].key] == ["deny_cidr", "deny_domain", "deny_domain_exact", "metadata", "private"]' <<<"$output"
	jq -e '.denials.by_control[0] == {"key": "--deny-cidr", "count": 2}' <<<"$output"
	jq -e '.denials.by_matched_domain[0] == {"key": "tracker.test", "count": 2,
		"targets": [{"key": "198.51.100.7:443", "count": 2}]}' <<<"$output"
	jq -e '.denials.by_matched_cidr == [{"key": "198.51.100.0/24", "count": 2}]' <<<"$output"
	jq -e '.connects | .attempts == 11 and .ok == 6 and .errors == 5' <<<"$output"
	jq -e '[.connects.by_error[] | "\(.key)=\(.count)"] == ["refused=2", "proxy_refused=1", "timeout=1", "unreachable=1"]' <<<"$output"
	jq -e '.runtime_failures == {"total": 2,
		"by_reason": [{"key": "ping_socket_denied", "count": 2,
			"detail": "ping_group_range 1 0 excludes gid 1000: echo requests are refused"}],
		"by_phase": [{"key": "run", "count": 2}]}' <<<"$output"
	jq -e '.targets | length == 16' <<<"$output"
	jq -e '.targets[0] | .key == "203.0.113.10:443" and .count == 4 and .ip == "203.0.113.10"
		and .connect_attempts == 4 and .connect_ok == 4 and .flows_ended == 4
		and .bytes_sent == 3689 and .bytes_received == 1061280
		and .dns_names == [{"key": "example.test", "count": 1}]
		and ([.host_names[].key] == ["example.test", "www.example.test"])' <<<"$output"
	jq -e '.targets[] | select(.key == "198.51.100.7:443") | .denied == 2
		and .dns_names[0].key == "cdn.example.test"
		and .matched_domains == [{"key": "tracker.test", "count": 2}]' <<<"$output"
	jq -e '.dns.queries == 6 and .dns.answers == 6' <<<"$output"
	jq -e '.dns.names[0] | .key == "example.test" and .count == 3 and .answers == 3
		and ([.answer_ips[].key] == ["2001:db8::10", "203.0.113.10"])' <<<"$output"
	jq -e '.dns.by_mode[0] == {"key": "relayed", "count": 5}' <<<"$output"
	jq -e '.traffic | .flows_ended == 9 and .bytes_sent == 4732 and .bytes_received == 1066524 and .duration_ms == 186693' <<<"$output"
	jq -e '.traffic.by_end[0] == {"key": "close", "count": 4}' <<<"$output"
	jq -e '.limits == {"max_keys": 100000, "dropped_keys": 0, "dropped_flow_ids": 0}' <<<"$output"
	# every ranked array: highest count first
	jq -e '[.. | arrays | select(length > 1 and (.[0] | type) == "object" and (.[0] | has("count")))
		| [.[].count] | . == (sort | reverse)] | all' <<<"$output"
}

@test "unknown events are counted under their name, never fatal" {
	report "$FIX/full.jsonl" json
	jq -e '.events.unknown == 1' <<<"$output"
	jq -e '.events.by_name[] | select(.key == "quic_initial") | .count == 1' <<<"$output"
	printf '{"schema_version":1,"ts_ms":1,"event":"future_thing","x":1}\n{"schema_version":1,"ts_ms":2,"event":"future_thing"}\n{"ts_ms":3}\n' >"$T/u.jsonl"
	report "$T/u.jsonl" json
	jq -e '.events.total == 3 and .events.unknown == 3' <<<"$output"
	jq -e '.events.by_name == [{"key": "future_thing", "count": 2}, {"key": "(none)", "count": 1}]' <<<"$output"
	report "$T/u.jsonl" text
	has "  future_thing (unknown)      2"
}

@test "the earlier tool's logs (no flow_id, no bytes) are read" {
	report "$FIX/legacy.jsonl" json
	jq -e '.events.total == 9 and .events.unknown == 0' <<<"$output"
	jq -e '.targets[0] | .key == "203.0.113.10:443" and .count == 2 and .dns_names[0].key == "example.test"' <<<"$output"
	jq -e '.connects.by_error[0].key == "Connection refused (os error 111)"' <<<"$output"
	jq -e '.denials.by_reason == [{"key": "offline", "count": 1}]' <<<"$output"
}

@test "a line that is not JSON: exit 1, naming the line, nothing on stdout" {
	for f in text markdown json; do
		run --separate-stderr "$CHILDFLOW" --report "$FIX/malformed.jsonl" --report-format $f
		[ "$status" -eq 1 ]
		[ "$stderr" = "childflow: --report: $FIX/malformed.jsonl:4: not valid JSON: unexpected end of data" ]
		[ -z "$output" ]
	done
	printf '{"event":"dns_query"}\n\n\n{"event":"dns_query"} {"event":"x"}\n' >"$T/two.jsonl"
	run --separate-stderr "$CHILDFLOW" --report "$T/two.jsonl"
	[ "$status" -eq 1 ]
	[ "$stderr" = "childflow: --report: $T/two.jsonl:4: not valid JSON: unexpected character" ]
	printf '{"event":"dns_query"}\n["dns_query"]\n' >"$T/arr.jsonl"
	run --separate-stderr "$CHILDFLOW" --report "$T/arr.jsonl"
	[ "$status" -eq 1 ]
	[ "$stderr" = "childflow: --report: $T/arr.jsonl:2: not a JSON object (found an array)" ]
	printf '{"event":"dns_query","qname":"\xff"}\n' >"$T/utf8.jsonl"
	run --separate-stderr "$CHILDFLOW" --report "$T/utf8.jsonl"
	[ "$status" -eq 1 ]
	[ "$stderr" = "childflow: --report: $T/utf8.jsonl:1: not valid JSON: invalid utf-8 string" ]
}

@test "a file that cannot be read: exit 1, one line" {
	run --separate-stderr "$CHILDFLOW" --report "$T/nope.jsonl"
	[ "$status" -eq 1 ]
	[ "$stderr" = "childflow: --report: cannot read '$T/nope.jsonl': No such file or directory" ]
	[ -z "$output" ]
	run --separate-stderr "$CHILDFLOW" --report "$T"
	[ "$status" -eq 1 ]
	[ "$stderr" = "childflow: --report: cannot read '$T': Is a directory" ]
}

@test "schema_version other than 1: one warning, still aggregated" {
	run --separate-stderr "$CHILDFLOW" --report "$FIX/version2.jsonl" --report-format json
	[ "$status" -eq 0 ]
	[ "$stderr" = "childflow: --report: $FIX/version2.jsonl:2: warning: schema_version 2 is not 1; reading it as version 1" ]
	jq -e '.events.total == 3 and .schema_versions == [{"key": "2", "count": 2}, {"key": "1", "count": 1}]' <<<"$output"
	jq -e '.targets[0].dns_names[0].key == "example.test"' <<<"$output"
}

@test "an empty log, blank lines and CRLF line ends" {
	: >"$T/empty.jsonl"
	report "$T/empty.jsonl" json
	jq -e '.events.total == 0 and .lines == 0 and .targets == []' <<<"$output"
	report "$T/empty.jsonl" text
	has "  events            0"
	has "  none"
	printf '\r\n{"event":"dns_query","qname":"a.test"}\r\n   \r\n' >"$T/crlf.jsonl"
	report "$T/crlf.jsonl" json
	jq -e '.lines == 3 and .events.total == 1 and .dns.names[0].key == "a.test"' <<<"$output"
}
