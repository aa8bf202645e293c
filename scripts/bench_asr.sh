#!/usr/bin/env bash
# Opt-in ASR benchmark (needs the models): end-to-end `callqa run` on stereo 8 kHz telephone
# calls for base f16 / q8_0 / q5_1 with 1 worker × 2 whisper threads, and f16 with 2 workers
# × 1 thread. Prints a Markdown table of audio seconds, wall seconds, real-time factor
# (wall / audio) and peak resident memory. Run it on an otherwise idle machine: whisper.cpp
# busy-waits, so any other CPU job makes it many times slower.
#
#   bash scripts/bench_asr.sh [RECORDINGS…]     (default: ../shared/audio/dev/*.wav)
set -euo pipefail
cd "$(dirname "$0")/.."
callqa=./target/release/callqa
[ -x "$callqa" ] || cargo build --release --locked
for quant in q8_0 q5_1; do
    "$callqa" models fetch base --quantize "$quant" >/dev/null 2>&1
done
if [ $# -gt 0 ]; then inputs=("$@"); else inputs=(../shared/audio/dev/*.wav); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| model | workers × threads | audio s | wall s | RTF | peak RSS MB |"
echo "|---|---|---|---|---|---|"
for config in "base 1 2" "base-q8_0 1 2" "base-q5_1 1 2" "base 2 1"; do
    read -r model jobs threads <<<"$config"
    out="$work/$model-$jobs-$threads"
    /usr/bin/time -f "%e %M" -o "$work/time" \
        "$callqa" run --quiet --model "$model" --jobs "$jobs" --threads "$threads" \
        --out "$out" "${inputs[@]}" >/dev/null 2>&1 || true
    read -r wall rss_kb < <(tail -n 1 "$work/time")
    audio=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['timing']['audio_seconds'])" "$out/summary.json")
    python3 - "$model" "$jobs" "$threads" "$audio" "$wall" "$rss_kb" <<'EOF'
import sys
model, jobs, threads, audio, wall, rss = sys.argv[1:]
audio, wall = float(audio), float(wall)
print(f"| {model} | {jobs} × {threads} | {audio:.1f} | {wall:.1f} | {wall / audio:.3f} | {int(rss) / 1024:.0f} |")
EOF
done
