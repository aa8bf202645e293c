#!/usr/bin/env bash
# Fuzzes one target on the stable toolchain, then minimises its corpus.
#   fuzz/run.sh TARGET SECONDS
# FUZZ_NICE (default 19): the fuzzer's niceness; libFuzzer's timeout is wall-clock, so a fuzzer
# starved by other work at niceness 19 reports false timeouts — give 0 when the machine is busy.
# FUZZ_TIMEOUT (seconds, default 1): an input slower than this is a finding. The instrumented
# build is about 8x slower than release, so the whole bundled rubric (0.13 s in release) needs 5.
# TARGET: wav | transcript | rubric | manifest | model. See fuzz/README.md.
set -euo pipefail
target=${1:?usage: fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

# cargo-fuzz on stable: no sanitizer (AddressSanitizer needs nightly's -Zsanitizer); -O with
# debug assertions and overflow checks (-a); its own target dir, fuzz/target.
flags=(-O -a --sanitizer none)
CARGO_BUILD_JOBS=1 nice -n "${FUZZ_NICE:-19}" cargo fuzz build "${flags[@]}" "$target"

work=corpus-work/$target
mkdir -p "$work" "corpus/$target" "artifacts/$target" logs
log=logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log

# One job, one worker (the machine has 2 shared cores). Slow inputs (> FUZZ_TIMEOUT) and large
# allocations (> 2 GB) count as findings and are written to artifacts/ like crashes.
status=0
nice -n "${FUZZ_NICE:-19}" cargo fuzz run "${flags[@]}" "$target" "$work" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-1}" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 2>&1 | tee "$log" | grep -E '^#[0-9]+.*(pulse|DONE|NEW)|==|ERROR|SUMMARY|stat::|Done ' | tail -n 40 || status=$?

# Keep a small corpus: a set-cover merge into a fresh directory counting plain edges (no hit
# counts, no comparison operands), which keeps every edge reached in a few hundred inputs; then
# drop files over 64 KB.
bin=target/x86_64-unknown-linux-gnu/release/$target
fresh=$(mktemp -d "corpus-work/$target-merge.XXXX")
nice -n "${FUZZ_NICE:-19}" "$bin" -set_cover_merge=1 -use_counters=0 -use_cmp=0 -max_len=65536 -timeout=5 \
    -rss_limit_mb=2048 "$fresh" "corpus/$target" "$work" >>"$log" 2>&1
find "$fresh" -type f -size +64k -delete
rm -rf "corpus/$target"
mv "$fresh" "corpus/$target"
echo "kept $(ls "corpus/$target" | wc -l) inputs in fuzz/corpus/$target; log: fuzz/$log"
grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$log" | tail -n 3 || true
ls "artifacts/$target" 2>/dev/null | sed 's/^/finding: fuzz\/artifacts\/'"$target"'\//' || true
exit $status
