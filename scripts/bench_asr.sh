#!/usr/bin/env bash
# Opt-in ASR benchmark (needs the models): end-to-end `callqa run` on stereo 8 kHz telephone
# calls for base q8_0 (the default) / f16 / q5_1 with 2 workers × 1 whisper thread (the default
# on 2 cores) and 1 worker × 2 threads. Prints a Markdown table of audio seconds, wall seconds,
# real-time factor (wall / audio), CPU seconds and peak resident memory.
#
# With FW_PYTHON set to a Python that has faster-whisper (see scripts/compare_faster_whisper.py),
# it then runs faster-whisper (CTranslate2 int8, the same base weights) on the same calls right
# after, 1 worker × 2 threads and 2 workers × 1 thread, at Silero's default threshold and at
# 0.2, and prints its table with callqa's CER (default configuration) beside it.
#
# Run it on an otherwise idle machine: whisper.cpp busy-waits with more than one thread per
# worker, so any other CPU job makes those rows many times slower; CPU seconds show it.
#
#   bash scripts/bench_asr.sh [RECORDINGS…]     (default: ../shared/audio/dev/*.wav)
#   FW_PYTHON=/tmp/.venv-bench/bin/python bash scripts/bench_asr.sh
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

echo "| model | workers × threads | audio s | wall s | RTF | CPU s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for config in "base-q8_0 2 1" "base-q8_0 1 2" "base 2 1" "base 1 2" "base-q5_1 2 1"; do
    read -r model jobs threads <<<"$config"
    out="$work/$model-$jobs-$threads"
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
        "$callqa" run --quiet --model "$model" --jobs "$jobs" --threads "$threads" \
        --out "$out" "${inputs[@]}" >/dev/null 2>&1 || true
    read -r wall user sys rss_kb < <(tail -n 1 "$work/time")
    audio=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['timing']['audio_seconds'])" "$out/summary.json")
    python3 - "$model" "$jobs" "$threads" "$audio" "$wall" "$user" "$sys" "$rss_kb" <<'EOF'
import sys
model, jobs, threads, audio, wall, user, sys_s, rss = sys.argv[1:]
audio, wall, cpu = float(audio), float(wall), float(user) + float(sys_s)
print(f"| {model} | {jobs} × {threads} | {audio:.1f} | {wall:.1f} | {wall / audio:.3f} | {cpu:.1f} | {int(rss) / 1024:.0f} |")
EOF
done

if [ -n "${FW_PYTHON:-}" ]; then
    default="$work/base-q8_0-2-1"
    for fw in "1 2" "2 1"; do
        read -r workers threads <<<"$fw"
        for vad in 0.5 0.2; do
            echo
            echo "faster-whisper, $workers worker(s) × $threads thread(s), Silero threshold $vad:"
            "$FW_PYTHON" scripts/compare_faster_whisper.py --workers "$workers" --threads "$threads" \
                --vad-threshold "$vad" --max-load 0 \
                --callqa-transcripts "$default/transcripts" --callqa-summary "$default/summary.json" \
                "${inputs[@]}" 2>/dev/null
        done
    done
fi
