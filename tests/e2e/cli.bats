#!/usr/bin/env bats
# The command line as users meet it: --help, --version, every validation rule
# with its message and exit status 2, profiles and --dump-profile.
# These tests need no lab: nothing here sends a packet.

bats_require_minimum_version 1.5.0

setup_file() {
	export CHILDFLOW="${CHILDFLOW:-$BATS_TEST_DIRNAME/../../build/childflow}"
	[ -x "$CHILDFLOW" ] || { echo "build childflow first: $CHILDFLOW" >&2; return 1; }
}

setup() {
	T="$BATS_TEST_TMPDIR"
	unset CHILDFLOW_PROXY_PASSWORD
}

# cf_fails STATUS MESSAGE ARGS... - childflow ARGS exits STATUS and prints
# exactly "childflow: MESSAGE" as its only line on stderr, nothing on stdout
cf_fails() {
	local want_status=$1 want_msg=$2
	shift 2
	run --separate-stderr "$CHILDFLOW" "$@"
	[ "$status" -eq "$want_status" ] || { echo "status $status, stderr: $stderr"; return 1; }
	[ "$stderr" = "childflow: $want_msg" ] || { echo "stderr was: $stderr"; echo "wanted:     childflow: $want_msg"; return 1; }
	[ -z "$output" ] || { echo "stdout was: $output"; return 1; }
}

SPEC_OPTIONS=(--profile --dump-profile -c --capture -C --capture-point --root
	--backend --doctor --doctor-format --report --report-format -d --dns
	--hosts-file -p --proxy -U --proxy-user -P --proxy-password
	--proxy-insecure --proxy-ca --proxy-dns --summary --summary-format
	--flow-log --offline --block-private --block-metadata --default-policy
	--allow-cidr --deny-cidr --allow-domain --allow-domain-exact
	--deny-domain --deny-domain-exact --proxy-only --fail-on-leak -i --iface
	-h --help -V --version)

@test "--help names every option of SPEC.md §1" {
	run "$CHILDFLOW" --help
	[ "$status" -eq 0 ]
	for opt in "${SPEC_OPTIONS[@]}"; do
		grep -qE -- "(^|[ ,])$opt([ ,=]|\$)" <<<"$output" || { echo "missing $opt"; return 1; }
	done
	grep -q '^Usage: childflow \[OPTIONS\] \[--\] COMMAND' <<<"$output"
	grep -q 'Examples:' <<<"$output"
}

@test "-h is --help, and help wins over later bad options" {
	run "$CHILDFLOW" -h
	[ "$status" -eq 0 ]
	help="$output"
	run "$CHILDFLOW" --help --no-such-option
	[ "$status" -eq 0 ]
	[ "$output" = "$help" ]
}

@test "--version and -V print 'childflow X.Y.Z'" {
	run "$CHILDFLOW" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^childflow\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$CHILDFLOW" -V
	[[ "$output" =~ ^childflow\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "every boolean option has a --no- form" {
	for b in proxy-insecure proxy-dns summary offline block-private block-metadata proxy-only fail-on-leak root; do
		run --separate-stderr "$CHILDFLOW" "--no-$b" --dump-profile
		[ "$status" -eq 0 ] || { echo "--no-$b: $stderr"; return 1; }
	done
}

@test "usage: a run needs a command" {
	cf_fails 2 "no command given: usage: childflow [OPTIONS] [--] COMMAND [ARG...] (see childflow --help)" --offline
	cf_fails 2 "no command given: usage: childflow [OPTIONS] [--] COMMAND [ARG...] (see childflow --help)"
}

@test "usage: --doctor and --report take no command" {
	cf_fails 2 "--doctor takes no command, but 'curl' was given: run the command without --doctor" --doctor curl
	cf_fails 2 "--report takes no command, but 'ls' was given: run the command without --report" --report f.jsonl -- ls
}

@test "usage: unknown options, missing values, values given to flags" {
	cf_fails 2 "unknown option '--ofline': did you mean --offline? (see childflow --help)" --ofline true
	cf_fails 2 "unknown option '--frobnicate' (see childflow --help)" --frobnicate true
	cf_fails 2 "unknown option '-x' (see childflow --help)" -x true
	cf_fails 2 "--dns needs a value: --dns IP" --dns
	cf_fails 2 "--capture needs a value: --capture FILE" -c
	cf_fails 2 "--offline takes no value, but was given '1'" --offline=1 true
}

@test "validation: --iface needs the rootful backend" {
	cf_fails 2 "--iface needs the rootful backend: add --root (or --backend rootful)" -i eth0 true
	cf_fails 2 "--iface needs the rootful backend: add --root (or --backend rootful)" --iface eth0 --backend rootless-internal true
	cf_fails 2 "--iface: 'a b' is not an interface name: expected at most 15 characters without '/', ':' or white space" --root -i "a b" true
}

@test "validation: --hosts-file must exist and be readable" {
	cf_fails 2 "--hosts-file: cannot read '$T/none': No such file or directory" --hosts-file "$T/none" true
	cf_fails 2 "--hosts-file: cannot read '/': it is a directory" --hosts-file / true
	echo "192.0.2.1 x.test" >"$T/hosts"
	chmod 000 "$T/hosts"
	if [ "$(id -u)" -ne 0 ]; then
		cf_fails 2 "--hosts-file: cannot read '$T/hosts': Permission denied" --hosts-file "$T/hosts" true
	elif id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
		chmod 711 "$T"
		run --separate-stderr setpriv --reuid nobody --regid nogroup --clear-groups "$CHILDFLOW" --hosts-file "$T/hosts" true
		[ "$status" -eq 2 ]
		[ "$stderr" = "childflow: --hosts-file: cannot read '$T/hosts': Permission denied" ]
	fi
}

@test "validation: --capture-point other than child needs --capture" {
	for view in egress wire-egress both; do
		cf_fails 2 "--capture-point $view needs --capture FILE: say where to write the capture" -C "$view" true
	done
	cf_fails 2 "--capture-point: 'wire' is not valid: expected child, egress, wire-egress or both" -C wire -c x true
}

@test "validation: -U and -P go together and need --proxy" {
	cf_fails 2 "--proxy-user needs a password too: add --proxy-password (or set CHILDFLOW_PROXY_PASSWORD)" -p http://h:1 -U u true
	cf_fails 2 "--proxy-password needs a user too: add --proxy-user" -p http://h:1 -P p true
	cf_fails 2 "--proxy-user and --proxy-password need --proxy: add the proxy they are for" -U u -P p true
	CHILDFLOW_PROXY_PASSWORD=x cf_fails 2 "CHILDFLOW_PROXY_PASSWORD needs a user too: add --proxy-user" -p http://h:1 true
	# without --proxy the variable is unused: nothing refuses to run
	run -0 --separate-stderr env CHILDFLOW_PROXY_PASSWORD=x "$CHILDFLOW" --dump-profile
	run --separate-stderr env CHILDFLOW_PROXY_PASSWORD=x "$CHILDFLOW" --doctor
	[[ $stderr != *CHILDFLOW_PROXY_PASSWORD* ]]
	# a user in the URI takes it
	run -0 --separate-stderr env CHILDFLOW_PROXY_PASSWORD=x "$CHILDFLOW" -p http://u@h:1 --dump-profile
	cf_fails 2 "--proxy-user and credentials in --proxy conflict: give them one way only" -p http://a:b@h:1 -U u -P p true
}

@test "validation: --proxy-insecure and --proxy-ca need an https proxy" {
	cf_fails 2 "--proxy-insecure needs an https:// proxy: it only affects TLS to the proxy" --proxy-insecure -p socks5://h:1 true
	cf_fails 2 "--proxy-insecure needs an https:// proxy: it only affects TLS to the proxy" --proxy-insecure true
	cf_fails 2 "--proxy-ca needs an https:// proxy: it only affects TLS to the proxy" --proxy-ca /etc/hostname -p http://h:1 true
	cf_fails 2 "--proxy-ca: cannot read '$T/ca.pem': No such file or directory" --proxy-ca "$T/ca.pem" -p https://h:1 true
}

@test "validation: --proxy-only and --proxy-dns need --proxy" {
	cf_fails 2 "--proxy-only needs --proxy: name the proxy everything must go through" --proxy-only true
	cf_fails 2 "--proxy-dns needs --proxy: names are resolved by the proxy" --proxy-dns true
}

@test "validation: --offline with --proxy is refused" {
	cf_fails 2 "--offline and --proxy contradict each other: offline lets nothing out, not even to a proxy; drop one" --offline -p http://h:1 true
}

@test "validation: invalid IPs, CIDRs, domains, URIs and enum values name option and value" {
	cf_fails 2 "--dns: '999.1.1.1' is not an IP address: expected an IPv4 address like 192.0.2.1 (four numbers from 0 to 255)" --dns 999.1.1.1 true
	run --separate-stderr "$CHILDFLOW" --allow-cidr 10.0.0.0/40 true
	[ "$status" -eq 2 ]
	[[ "$stderr" == "childflow: --allow-cidr: '10.0.0.0/40' is not a CIDR or IP address: "* ]]
	run --separate-stderr "$CHILDFLOW" --deny-cidr fe80::/129 true
	[ "$status" -eq 2 ]
	[[ "$stderr" == "childflow: --deny-cidr: 'fe80::/129' is not a CIDR or IP address: "* ]]
	for opt in --allow-domain --allow-domain-exact --deny-domain --deny-domain-exact; do
		run --separate-stderr "$CHILDFLOW" "$opt" "bad_name.example" true
		[ "$status" -eq 2 ]
		[[ "$stderr" == "childflow: $opt: 'bad_name.example' is not a domain name: "* ]]
	done
	run --separate-stderr "$CHILDFLOW" -p "gopher://h:70" true
	[ "$status" -eq 2 ]
	[[ "$stderr" == "childflow: --proxy: 'gopher://h:70' is not a proxy URI: "* ]]
	run --separate-stderr "$CHILDFLOW" -p "http://h" true
	[ "$status" -eq 2 ]
	[[ "$stderr" == "childflow: --proxy: 'http://h' is not a proxy URI: "* ]]
	cf_fails 2 "--default-policy: 'maybe' is not valid: expected allow or deny" --default-policy maybe true
	cf_fails 2 "--backend: 'docker' is not valid: expected rootless-internal or rootful" --backend docker true
	cf_fails 2 "--summary-format: 'xml' is not valid: expected text or json" --summary-format xml true
	cf_fails 2 "--report-format: 'pdf' is not valid: expected text, markdown or json" --report-format pdf --report f
	cf_fails 2 "--doctor-format: 'yaml' is not valid: expected text or json" --doctor --doctor-format yaml
}

@test "a proxy password never appears in an error" {
	run --separate-stderr "$CHILDFLOW" -p "http://bob:hunter2@h:0" true
	[ "$status" -eq 2 ]
	[[ "$stderr" != *hunter2* ]]
	[[ "$stderr" == *"http://bob:***@h:0"* ]]
}

@test "a proxy password never appears in an error: every malformed URI, -P, the environment, a profile" {
	local uri
	for uri in "bob:hunter2@h:1" "http://bob:hunter2@" "http://bob:hunter2@h" \
		"http://bob:hunter2@h:99999" "socks5://bob:hunter2@[::1:1" "http://bob:hunter2@h:1/p" \
		"ftp://bob:hunter2@h:1" "http://bob:hunter2@h:1?q" "http://:hunter2@h:1"; do
		run --separate-stderr "$CHILDFLOW" -p "$uri" true
		[ "$status" -eq 2 ] || { echo "$uri: status $status"; return 1; }
		[[ "$stderr" == "childflow: --proxy: '"*"***"*"' is not a proxy URI: "* ]] || { echo "$uri: $stderr"; return 1; }
		[[ "$stderr" != *hunter2* ]] || { echo "$uri: $stderr"; return 1; }
	done
	# from -P and from the environment: errors name the option, not the value
	cf_fails 2 "--proxy-password needs a user too: add --proxy-user" -p http://h:1 -P hunter2 true
	cf_fails 2 "--proxy-user and --proxy-password need --proxy: add the proxy they are for" -U u --proxy-password=hunter2 true
	cf_fails 2 "--proxy-user and credentials in --proxy conflict: give them one way only" -p http://b:hunter2@h:1 -U u -P hunter2 true
	CHILDFLOW_PROXY_PASSWORD=hunter2 cf_fails 2 "CHILDFLOW_PROXY_PASSWORD needs a user too: add --proxy-user" -p http://h:1 true
	cf_fails 2 "unknown option '--proxy-passwd': did you mean --proxy-password? (see childflow --help)" --proxy-passwd hunter2 -p http://h:1 true
	# from a profile, however malformed the line
	printf 'proxy = "socks5://u:hunter2@h"\n' >"$T/p1.toml"
	cf_fails 2 "$T/p1.toml:1: key 'proxy': 'socks5://u:***@h' is not a proxy URI: missing port (expected scheme://host:port)" --profile "$T/p1.toml" true
	printf 'proxy = u:hunter2@h:1\n' >"$T/p2.toml"
	cf_fails 2 "$T/p2.toml:1: key 'proxy': invalid value '***' (strings must be quoted)" --profile "$T/p2.toml" true
	printf 'proxy_user = "u"\nproxy_password = hunter2\n' >"$T/p3.toml"
	cf_fails 2 "$T/p3.toml:2: key 'proxy_password': invalid value '***' (strings must be quoted)" --profile "$T/p3.toml" true
	printf 'proxy_password = "hunter2" x\n' >"$T/p4.toml"
	cf_fails 2 "$T/p4.toml:1: key 'proxy_password': unexpected '***' after value" --profile "$T/p4.toml" true
	printf 'proxy_password = "hun\\qter2"\n' >"$T/p5.toml"
	cf_fails 2 "$T/p5.toml:1: key 'proxy_password': invalid escape sequence '***'" --profile "$T/p5.toml" true
	printf 'proxy = "http://h:1"\nproxy_password = "hunter2"\n' >"$T/p6.toml"
	cf_fails 2 "proxy_password ($T/p6.toml:2) needs a user too: add --proxy-user" --profile "$T/p6.toml" true
	# other keys still show the value they reject
	printf 'offline = yes\n' >"$T/p7.toml"
	cf_fails 2 "$T/p7.toml:1: key 'offline': invalid value 'yes' (strings must be quoted)" --profile "$T/p7.toml" true
}

@test "the run is built; the rootful backend says plainly that it is not" {
	cf_fails 125 "the rootful backend is not built yet in childflow $("$CHILDFLOW" -V | cut -d' ' -f2); nothing was run (drop --root to use the rootless backend)" --root -- true
}

@test "controls not built yet refuse the run instead of running without them" {
	v=$("$CHILDFLOW" -V | cut -d' ' -f2)
	cf_fails 125 "--capture (pcapng capture) is not built yet in childflow $v; nothing was run rather than run without it" -c "$T/x.pcapng" -- touch "$T/ran"
	[ ! -e "$T/ran" ]
	# the flow log says why
	run "$CHILDFLOW" --flow-log "$T/f.jsonl" -c "$T/y.pcapng" -- true
	[ "$status" -eq 125 ]
	[ "$(jq -r 'select(.event == "runtime_failure") | .phase + " " + .reason_code' "$T/f.jsonl")" = "preflight control_unavailable" ]
}

@test "profile errors name the file, line and key, exit 2" {
	printf 'dns = "192.0.2.53"\n\nfrobnicate = true\n' >"$T/bad.toml"
	cf_fails 2 "$T/bad.toml:3: unknown key 'frobnicate' (see docs/profile.md for the keys)" --profile "$T/bad.toml" true
	printf 'offline = "yes"\n' >"$T/type.toml"
	cf_fails 2 "$T/type.toml:1: key 'offline' must be a boolean (true or false), not a string" --profile "$T/type.toml" true
	printf '[section]\n' >"$T/table.toml"
	run --separate-stderr "$CHILDFLOW" --profile "$T/table.toml" true
	[ "$status" -eq 2 ]
	[[ "$stderr" == "childflow: $T/table.toml:1: "* ]]
	cf_fails 2 "cannot read profile $T/missing.toml: No such file or directory" --profile "$T/missing.toml" true
}

@test "an extends cycle is an error that shows the cycle" {
	printf 'extends = "b.toml"\n' >"$T/a.toml"
	printf 'extends = "a.toml"\n' >"$T/b.toml"
	cf_fails 2 "extends cycle: $T/a.toml -> $T/b.toml -> $T/a.toml" --profile "$T/a.toml" --dump-profile
}

@test "a profile value that breaks a rule is named with its file and line" {
	printf 'iface = "eth0"\n' >"$T/iface.toml"
	cf_fails 2 "iface ($T/iface.toml:1) needs the rootful backend: add --root (or --backend rootful)" --profile "$T/iface.toml" true
	run --separate-stderr "$CHILDFLOW" --profile "$T/iface.toml" --root --dump-profile
	[ "$status" -eq 0 ]
}

@test "--dump-profile: defaults only" {
	run --separate-stderr "$CHILDFLOW" --dump-profile
	[ "$status" -eq 0 ]
	[ "$output" = 'capture_point = "child"
backend = "rootless-internal"
default_policy = "allow"' ]
}

@test "--dump-profile: extends two levels deep, relative paths, command-line overrides" {
	mkdir -p "$T/org/base" "$T/team" "$T/work"
	cat >"$T/org/base/org.toml" <<-'TOML'
		# organisation defaults
		dns = "192.0.2.53"
		hosts_file = "hosts"            # relative to org/base
		block_metadata = true
		deny_cidrs = [
		  "10.0.0.0/8",   # internal
		  "192.168.0.0/16",
		]
		summary_format = "json"
	TOML
	echo "192.0.2.10 origin.test" >"$T/org/base/hosts"
	cat >"$T/team/team.toml" <<-'TOML'
		extends = "../org/base/org.toml"
		flow_log = "logs/flows.jsonl"
		deny_domains = ["Tracker.Example.", "ads.example"]
		block_metadata = false
		command = ["make", "test"]
	TOML
	cat >"$T/work/app.toml" <<-'TOML'
		extends = '../team/team.toml'
		capture = "./out/app.pcapng"
		offline = true
	TOML
	cd "$T/work"
	run --separate-stderr "$CHILDFLOW" --profile app.toml --summary --no-offline \
		--deny-cidr 172.16.0.0/12 -C both -c cap/run.pcapng --dump-profile -- make check
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[ "$output" = "capture = \"$T/work/cap/run.pcapng\"
capture_point = \"both\"
backend = \"rootless-internal\"
dns = \"192.0.2.53\"
hosts_file = \"$T/org/base/hosts\"
summary = true
summary_format = \"json\"
flow_log = \"$T/team/logs/flows.jsonl\"
default_policy = \"allow\"
deny_cidrs = [\"172.16.0.0/12\"]
deny_domains = [\"tracker.example\", \"ads.example\"]
command = [\"make\", \"check\"]" ] || { echo "$output"; return 1; }

	# The dump loads back to the same settings
	printf '%s\n' "$output" >"$T/dumped.toml"
	cd /
	run --separate-stderr "$CHILDFLOW" --profile "$T/dumped.toml" --dump-profile
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$T/dumped.toml")" ]
}

@test "--dump-profile round trip keeps strings with quotes, escapes and unicode" {
	cat >"$T/s.toml" <<-'TOML'
		proxy = "socks5h://proxy.test:1080"
		proxy_user = "ålice"
		proxy_password = 'p"a\ss'
		proxy_dns = false
		command = ["sh", "-c", "printf '%s\\n' \"\u00e9\"\ttab"]
	TOML
	run --separate-stderr "$CHILDFLOW" --profile "$T/s.toml" --dump-profile
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	grep -qx 'proxy_dns = false' <<<"$output"
	printf '%s\n' "$output" >"$T/d.toml"
	run --separate-stderr "$CHILDFLOW" --profile "$T/d.toml" --dump-profile
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$T/d.toml")" ]
}

@test "--dump-profile prints a password from -P or a profile, never from the environment" {
	run --separate-stderr env CHILDFLOW_PROXY_PASSWORD=envsecret "$CHILDFLOW" -p http://h:1 -U u --dump-profile
	[ "$status" -eq 0 ]
	[[ "$output" != *envsecret* ]]
	grep -qx 'proxy_user = "u"' <<<"$output"
	run --separate-stderr "$CHILDFLOW" -p http://h:1 -U u -P clisecret --dump-profile
	[ "$status" -eq 0 ]
	grep -qx 'proxy_password = "clisecret"' <<<"$output"
}

@test "--dump-profile prints a profile's password; with the environment's too, only the profile's" {
	printf 'proxy = "http://h:1"\nproxy_user = "u"\nproxy_password = "profsecret"\n' >"$T/pw.toml"
	run --separate-stderr "$CHILDFLOW" --profile "$T/pw.toml" --dump-profile
	[ "$status" -eq 0 ]
	grep -qx 'proxy_password = "profsecret"' <<<"$output"
	run --separate-stderr env CHILDFLOW_PROXY_PASSWORD=envsecret "$CHILDFLOW" --profile "$T/pw.toml" --dump-profile
	[ "$status" -eq 0 ]
	grep -qx 'proxy_password = "profsecret"' <<<"$output"
	[[ "$output" != *envsecret* ]]
	# a profile without a password: the environment's stays out of the dump
	printf 'proxy = "socks5://h:1"\nproxy_user = "u"\n' >"$T/nopw.toml"
	run --separate-stderr env CHILDFLOW_PROXY_PASSWORD=envsecret "$CHILDFLOW" --profile "$T/nopw.toml" --dump-profile
	[ "$status" -eq 0 ]
	[[ "$output" != *envsecret* ]]
	[[ "$output" != *proxy_password* ]]
	# -P over a profile's
	run --separate-stderr "$CHILDFLOW" --profile "$T/pw.toml" -P clisecret --dump-profile
	[ "$status" -eq 0 ]
	grep -qx 'proxy_password = "clisecret"' <<<"$output"
	[[ "$output" != *profsecret* ]]
}

@test "the man page and bash completion list every option" {
	man_page="$BATS_TEST_DIRNAME/../../man/childflow.1"
	completion="$BATS_TEST_DIRNAME/../../completion/childflow.bash"
	run env LC_ALL=C MANWIDTH=200 man -l -P cat "$man_page"
	[ "$status" -eq 0 ]
	rendered="$output"
	for opt in "${SPEC_OPTIONS[@]}"; do
		grep -qE -- "(^|[ ,])$opt([ ,=]|\$)" <<<"$rendered" || { echo "man page misses $opt"; return 1; }
		grep -qE -- "(^|[[:space:]\"])$opt([[:space:]\"]|\$)" "$completion" || { echo "completion misses $opt"; return 1; }
	done
	# The completion script loads in bash and offers options
	run bash -c "source '$completion'; COMP_WORDS=(childflow --off); COMP_CWORD=1; _childflow; printf '%s\n' \"\${COMPREPLY[@]}\""
	[ "$status" -eq 0 ]
	grep -qx -- '--offline' <<<"$output"
}
