#!/usr/bin/env bash
# The five bugs of issue 23, put back one at a time: each must make its tests fail.
#
#   bash bench/known_bugs/check.sh            # every patch here
#   bash bench/known_bugs/check.sh 3-*.patch  # some of them
#
# Each patch is applied to src/, the tests that guard it run, and the patch is taken out
# again (git apply -R) whatever happened. Refuses to start while src/ has uncommitted
# changes, so that what it restores is exactly what was committed. Prints one line per
# bug and exits non-zero when a bug went unnoticed. OPENAMS_TEST_DATABASE_URL picks
# PostgreSQL as for the suite.
set -u
cd "$(dirname "$0")/../.."
here=bench/known_bugs
python=.venv/bin/python

tests_for() {
    case "$1" in
        1-*) echo tests/gateway/integration/test_signature_header_forms.py ;;
        2-*) echo "tests/gateway/integration/test_idempotency.py -k concurrent" ;;
        3-*) echo tests/gateway/integration/test_cross_merchant.py ;;
        4-*) echo tests/gateway/integration/test_expiry_boundary.py ;;
        5*) echo tests/console/test_route_guard.py ;;
        *) echo "no tests named for $1" >&2; return 1 ;;
    esac
}

if ! git diff --quiet -- src; then
    echo "src/ has uncommitted changes: commit them first" >&2
    exit 2
fi

if [ "$#" -gt 0 ]; then patches=("$@"); else patches=("$here"/*.patch); fi
unnoticed=0
for name in "${patches[@]}"; do
    patch="$here/$(basename "$name")"
    tests=$(tests_for "$(basename "$patch")") || exit 2
    git apply "$patch" || { echo "$patch does not apply" >&2; exit 2; }
    # shellcheck disable=SC2086
    nice -n 5 "$python" -m pytest -n 2 -q -p no:cacheprovider $tests >"/tmp/known-bug-$$.log" 2>&1
    status=$?
    git apply -R "$patch"
    failed=$(grep -cE '^FAILED' "/tmp/known-bug-$$.log")
    summary=$(tail -n 1 "/tmp/known-bug-$$.log")
    if [ "$status" -eq 1 ]; then
        echo "caught     $(basename "$patch"): $failed failing tests ($summary)"
    else
        echo "UNNOTICED  $(basename "$patch"): pytest exit $status ($summary)"
        unnoticed=1
    fi
done
rm -f "/tmp/known-bug-$$.log"
git diff --quiet -- src || { echo "src/ is not as committed after the run" >&2; exit 3; }
exit "$unnoticed"
