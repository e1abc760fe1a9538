# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# Common setup of childflow's bats end-to-end tests.
#
#   load helpers          # first line of every tests/e2e/*.bats file
#
# gives each test file one lab (tests/lab/lab.bash): setup_file brings it up,
# teardown_file tears it down.  A file that needs more in setup_file or
# teardown_file defines its own and calls lab_up / lab_down from it.
# Tests need root (they build network namespaces).

bats_require_minimum_version 1.5.0

# shellcheck source=../lab/lab.bash
source "$BATS_TEST_DIRNAME/../lab/lab.bash"

# The binary under test (built by others; the lab's own tests do not need it).
CHILDFLOW=${CHILDFLOW:-$BATS_TEST_DIRNAME/../../build/childflow}
export CHILDFLOW

# childflow_bin: print the path of the childflow binary, or fail if not built.
childflow_bin() {
	[[ -x $CHILDFLOW ]] || return 1
	printf '%s\n' "$CHILDFLOW"
}

# require_childflow: skip the current test when the binary is not built.
require_childflow() {
	[[ -x $CHILDFLOW ]] || skip "childflow binary not built: $CHILDFLOW"
}

# lab_file_up / lab_file_down: a fresh lab for this test file (even when the
# environment names one already, e.g. inside tests/lab/shell), unless
# LAB_REUSE=1 and LAB_NAME name a running lab, which is then used and kept.
lab_file_up() {
	if [[ -z ${LAB_REUSE:-} ]]; then
		unset LAB_NAME
	fi
	lab_up
}

lab_file_down() {
	if [[ -z ${LAB_REUSE:-} ]]; then
		lab_down
	fi
}

setup_file() {
	lab_file_up
}

teardown_file() {
	lab_file_down
}

# assert_equal ACTUAL EXPECTED: fail, showing both, when they differ.
assert_equal() {
	if [[ $1 != "$2" ]]; then
		printf 'expected: %q\nactual:   %q\n' "$2" "$1" >&2
		return 1
	fi
}

# assert_match TEXT REGEX: fail when TEXT does not match the extended REGEX.
assert_match() {
	if ! [[ $1 =~ $2 ]]; then
		printf 'text does not match /%s/:\n%s\n' "$2" "$1" >&2
		return 1
	fi
}

# assert_lt A B: fail unless the decimal number A is below B.
assert_lt() {
	if ! awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; then
		printf 'expected %s < %s\n' "$1" "$2" >&2
		return 1
	fi
}

# host_curl ARGS...: curl in the host namespace, quiet but showing errors,
# bounded in time, trusting the lab CA.
host_curl() {
	lab_host curl -sS --max-time 20 --cacert "$LAB_CA" "$@"
}
