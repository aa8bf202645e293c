#!/usr/bin/env bash
# Set-up plus the main job on the bundled example: three synthetic stereo
# 8 kHz mu-law telephone calls in fixtures/audio → transcripts, scorecards
# and a summary in out/demo, then the scorecards printed for a person.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
set +e
./target/release/callqa run --out out/demo fixtures/audio
code=$?
set -e
./target/release/callqa score out/demo/transcripts || true
echo
echo "outputs in out/demo: scorecards.jsonl scorecards.csv summary.json transcripts/ (exit code of run: $code)"
