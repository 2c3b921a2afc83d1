#!/usr/bin/env bash
# Portable replay: a journal written on one JDK audits clean on the other, both ways, and the same seed writes the
# same journal (same final hash) on both. Snapshots too: each run snapshots every SNAPSHOT_EVERY documents, the audit
# on the other JDK proves every snapshot byte-identical to its own re-executed state (--verify-snapshots), and both
# JDKs write the same snapshot files. Needs the default JDK 17 (`java` on PATH) and Temurin 25.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JDK17="${JDK17_JAVA:-java}"
JDK25="${JDK25_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
ACCOUNTS=2000
COMMANDS=200000
SEED=42
SNAPSHOT_EVERY=50000

cd "$ROOT"
./clearing --help >/dev/null   # builds the jar when missing or stale; nothing else is built below
WORK="$(mktemp -d "${TMPDIR:-/tmp}/portable-replay.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
failures=0

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# simulate NAME JAVA: writes $WORK/NAME and prints its final hash.
simulate() {
  local name="$1" java="$2"
  JAVA="$java" ./clearing simulate --accounts "$ACCOUNTS" --commands "$COMMANDS" --seed "$SEED" \
    --snapshot-every "$SNAPSHOT_EVERY" --journal "$WORK/$name" >"$WORK/$name.out" 2>"$WORK/$name.err" || return 1
  awk '/^final hash/ {print $3}' "$WORK/$name.out"
}

# audit NAME JAVA LABEL EXPECTED_HASH
audit() {
  local name="$1" java="$2" label="$3" expected="$4"
  if JAVA="$java" ./clearing audit --journal "$WORK/$name" --verify-snapshots >"$WORK/$name.audit" \
    2>"$WORK/$name.audit.err"; then
    if grep -q "final hash $expected " "$WORK/$name.audit" && grep -q "identical" "$WORK/$name.audit"; then
      pass "$label: $(cat "$WORK/$name.audit")"
    else
      fail "$label: audit OK but no snapshot or final hash differs from the simulate run's $expected: $(cat "$WORK/$name.audit")"
    fi
  else
    fail "$label: $(cat "$WORK/$name.audit") $(tail -5 "$WORK/$name.audit.err")"
  fi
}

echo "JDK 17: $("$JDK17" -version 2>&1 | head -1)"
echo "JDK 25: $("$JDK25" -version 2>&1 | head -1)"

hash17="$(simulate sim17 "$JDK17")" || { fail "simulate on JDK 17: $(tail -5 "$WORK/sim17.err")"; hash17=""; }
hash25="$(simulate sim25 "$JDK25")" || { fail "simulate on JDK 25: $(tail -5 "$WORK/sim25.err")"; hash25=""; }

[[ -n "$hash17" ]] && audit sim17 "$JDK25" "journal simulated on JDK 17, audited on JDK 25" "$hash17"
[[ -n "$hash25" ]] && audit sim25 "$JDK17" "journal simulated on JDK 25, audited on JDK 17" "$hash25"

if [[ -n "$hash17" && "$hash17" == "$hash25" ]]; then
  pass "same seed, same final hash on JDK 17 and JDK 25: $hash17"
else
  fail "final hash differs: JDK 17 '$hash17' vs JDK 25 '$hash25'"
fi

if [[ -n "$hash17" && -n "$hash25" ]]; then
  if diff -r "$WORK/sim17/snapshots" "$WORK/sim25/snapshots" >/dev/null; then
    pass "same snapshot files on JDK 17 and JDK 25: $(ls "$WORK/sim17/snapshots" | tr '\n' ' ')"
  else
    fail "snapshot files differ between JDK 17 and JDK 25"
  fi
fi

if ((failures > 0)); then
  echo "FAIL portable-replay: $failures check(s) failed"
  exit 1
fi
echo "PASS portable-replay: all checks passed"
