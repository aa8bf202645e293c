#!/usr/bin/env bash
# Installs what callqa needs on a fresh Debian machine (root or sudo), builds
# the release binary and fetches the Whisper base model through callqa's own
# fetch command. Safe to run again: every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
ldconfig -p 2>/dev/null | grep -q 'libclang-14\|libclang\.so' || need_apt+=(libclang1-14)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
# The CI-gate test parses docs/ci/*.yml with PyYAML.
python3 -c 'import yaml' >/dev/null 2>&1 || need_apt+=(python3-yaml)
# The comment poster (scripts/ci/post-comment.sh) and its test read JSON with jq.
command -v jq >/dev/null 2>&1 || need_apt+=(jq)
# The report's browser tests drive Debian's Chromium; the report itself uses
# the system's CJK fonts (Noto CJK here) so Chinese never renders as boxes.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

cargo build --release --locked
# base (f16) and base-q8_0, the model `callqa run` uses by default
./target/release/callqa models fetch base --quantize q8_0
