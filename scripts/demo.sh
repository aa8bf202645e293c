#!/usr/bin/env bash
# Set-up plus the main job on the bundled example: five synthetic stereo
# 8 kHz mu-law telephone calls (fixtures/audio/calls.csv, with call metadata) → transcripts, scorecards
# and a summary in out/demo, the scorecards printed for a person, and the
# supervisors' HTML report in out/demo/report (open index.html in a browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
set +e
./target/release/callqa run --out out/demo fixtures/audio/calls.csv
code=$?
set -e
./target/release/callqa score out/demo/transcripts || true
./target/release/callqa report --out out/demo/report out/demo
echo
echo "outputs in out/demo: scorecards.jsonl scorecards.csv summary.json transcripts/ callqa.sqlite (exit code of run: $code)"
echo "report: out/demo/report/index.html"
