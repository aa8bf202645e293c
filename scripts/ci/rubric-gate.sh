#!/usr/bin/env bash
# The CI gate for a rubric change (docs/ci/README.md): what a pull-request or
# merge-request job runs. Three steps, all always run so that every output
# exists even when an early one fails:
#
#   1. callqa check  --junit OUT/junit.xml RUBRIC GOLDEN     golden fixtures
#   2. callqa diff   --old-ref BASE --new RUBRIC --format markdown CORPUS…
#                                                          impact on real calls
#   3. callqa mutate --rubric RUBRIC --seed SEED GOLDEN      robustness (report only)
#
# Outputs in OUT (default callqa-ci/):
#   junit.xml     the golden check as JUnit XML (upload as a test report)
#   check.txt     check's report; diff.md, diff.err; mutate.txt, mutate.err
#   comment.md    the pull-request comment: a status table, the check's
#                 failures, the diff's Markdown, the mutate report (collapsed)
#   status.env    CHECK_EXIT=…, DIFF_EXIT=…, MUTATE_EXIT=…, GATE_EXIT=…
#
# Exit status: 0 when check and diff pass; 1 when a golden fixture regressed
# or the diff fails its gate (more than --fail-on calls change pass/fail, or a
# golden fixture flips); 2 when callqa could not run a step (bad rubric,
# unreadable input, unknown base ref). mutate never fails the gate: its floors
# belong in the test suite; here it is information for the reviewer.
#
# Every option has an environment variable (the option wins):
#   --rubric FILE     CALLQA_GATE_RUBRIC    rubrics/cs-standard.toml
#   --golden DIR      CALLQA_GATE_GOLDEN    fixtures/golden
#   --corpus PATH     CALLQA_GATE_CORPUS    the golden folder (repeat the option,
#                                           or separate paths by spaces in the variable)
#   --base-ref REF    CALLQA_GATE_BASE_REF  origin/$GITHUB_BASE_REF on GitHub,
#                                           origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME
#                                           on GitLab, else origin/main
#   --out-dir DIR     CALLQA_GATE_OUT_DIR   callqa-ci
#   --callqa BIN      CALLQA_BIN            callqa on PATH, else target/release/callqa
#   --fail-on N       CALLQA_GATE_FAIL_ON   0 (calls allowed to change pass/fail)
#   --seed N          CALLQA_GATE_SEED      0 (mutate's seed)
#   --lang zh|en      CALLQA_LANG           zh (language of what people read)
#   --format text|github   CALLQA_GATE_CHECK_FORMAT   github on GitHub Actions
#                                           (annotations on the rubric lines), else text
# Paths are relative to the working directory: run it from the repository.

set -u
set -o pipefail

usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p;}' "$0"
}

rubric=${CALLQA_GATE_RUBRIC:-rubrics/cs-standard.toml}
golden=${CALLQA_GATE_GOLDEN:-fixtures/golden}
corpus=()
if [ -n "${CALLQA_GATE_CORPUS:-}" ]; then
    read -r -a corpus <<<"$CALLQA_GATE_CORPUS"
fi
if [ -n "${CALLQA_GATE_BASE_REF:-}" ]; then
    base_ref=$CALLQA_GATE_BASE_REF
elif [ -n "${GITHUB_BASE_REF:-}" ]; then
    base_ref=origin/$GITHUB_BASE_REF
elif [ -n "${CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-}" ]; then
    base_ref=origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME
else
    base_ref=origin/main
fi
out=${CALLQA_GATE_OUT_DIR:-callqa-ci}
callqa=${CALLQA_BIN:-}
fail_on=${CALLQA_GATE_FAIL_ON:-0}
seed=${CALLQA_GATE_SEED:-0}
if [ -n "${CALLQA_GATE_CHECK_FORMAT:-}" ]; then
    check_format=$CALLQA_GATE_CHECK_FORMAT
elif [ "${GITHUB_ACTIONS:-}" = true ]; then
    check_format=github
else
    check_format=text
fi

die() {
    echo "rubric-gate: $*" >&2
    exit 2
}

needs_value() {
    [ $# -ge 2 ] || die "$1 needs a value (see --help)"
}

while [ $# -gt 0 ]; do
    case $1 in
        --rubric) needs_value "$@"; rubric=$2; shift 2 ;;
        --golden) needs_value "$@"; golden=$2; shift 2 ;;
        --corpus) needs_value "$@"; corpus+=("$2"); shift 2 ;;
        --base-ref) needs_value "$@"; base_ref=$2; shift 2 ;;
        --out-dir) needs_value "$@"; out=$2; shift 2 ;;
        --callqa) needs_value "$@"; callqa=$2; shift 2 ;;
        --fail-on) needs_value "$@"; fail_on=$2; shift 2 ;;
        --seed) needs_value "$@"; seed=$2; shift 2 ;;
        --lang) needs_value "$@"; export CALLQA_LANG=$2; shift 2 ;;
        --format) needs_value "$@"; check_format=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

if [ ${#corpus[@]} -eq 0 ]; then
    corpus=("$golden")
fi
case $fail_on in '' | *[!0-9]*) die "--fail-on $fail_on: give a number of calls, e.g. 0" ;; esac
case $seed in '' | *[!0-9]*) die "--seed $seed: give a whole number, e.g. 0" ;; esac
case $check_format in text | github) ;; *) die "--format $check_format: give text or github" ;; esac
case ${CALLQA_LANG:-zh} in
    en*) lang=en ;;
    *) lang=zh ;;
esac

if [ -z "$callqa" ]; then
    if command -v callqa >/dev/null 2>&1; then
        callqa=callqa
    elif [ -x target/release/callqa ]; then
        callqa=target/release/callqa
    else
        die "no callqa binary: build it (cargo build --release), put it on PATH, or give --callqa BIN / CALLQA_BIN"
    fi
fi
command -v "$callqa" >/dev/null 2>&1 || die "--callqa $callqa: no such program"

# pick ZH EN: the text in the reader's language.
pick() {
    if [ "$lang" = en ]; then printf '%s' "$2"; else printf '%s' "$1"; fi
}

mkdir -p "$out" || die "cannot create the output folder $out"

# ---------------------------------------------------------------- 1. check
echo "== callqa check --junit $out/junit.xml --rubric $rubric $golden"
"$callqa" check --format "$check_format" --junit "$out/junit.xml" --rubric "$rubric" "$golden" \
    2>"$out/check.err" | tee "$out/check.txt"
check_exit=$?
cat "$out/check.err" >&2

# ---------------------------------------------------------------- 2. diff
echo "== callqa diff --old-ref $base_ref --new $rubric --format markdown --fail-on $fail_on ${corpus[*]}"
"$callqa" diff --old-ref "$base_ref" --new "$rubric" --format markdown --fail-on "$fail_on" \
    "${corpus[@]}" >"$out/diff.md" 2>"$out/diff.err"
diff_exit=$?
cat "$out/diff.err" >&2
echo "(the Markdown is in $out/diff.md; exit $diff_exit)"

# ---------------------------------------------------------------- 3. mutate
echo "== callqa mutate --rubric $rubric --seed $seed $golden"
"$callqa" mutate --rubric "$rubric" --seed "$seed" --format text "$golden" \
    >"$out/mutate.txt" 2>"$out/mutate.err"
mutate_exit=$?
cat "$out/mutate.txt"
cat "$out/mutate.err" >&2

# Errors (2) outrank failures (1), as in callqa itself.
gate_exit=0
for code in "$check_exit" "$diff_exit"; do
    if [ "$code" -ge 2 ]; then
        gate_exit=2
    elif [ "$code" -eq 1 ] && [ "$gate_exit" -eq 0 ]; then
        gate_exit=1
    fi
done
{
    echo "CHECK_EXIT=$check_exit"
    echo "DIFF_EXIT=$diff_exit"
    echo "MUTATE_EXIT=$mutate_exit"
    echo "GATE_EXIT=$gate_exit"
} >"$out/status.env"

# ---------------------------------------------------------------- comment.md
# A fence longer than any run of backticks in the text, so that no quoted
# transcript can close it.
fence_for() {
    local longest
    longest=$(grep -o '`\+' "$1" 2>/dev/null | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
    [ "$longest" -lt 3 ] && longest=2
    printf '%*s' $((longest + 1)) '' | tr ' ' '`'
}

# collapsed TITLE FILE MAX_LINES: FILE in a collapsed code block, at most
# MAX_LINES lines of it (the rest is in the job's artifacts).
collapsed() {
    local title=$1 file=$2 max=$3 fence lines
    fence=$(fence_for "$file")
    lines=$(wc -l <"$file")
    echo "<details>"
    echo "<summary>$title</summary>"
    echo
    echo "$fence"'text'
    head -n "$max" "$file"
    echo "$fence"
    if [ "$lines" -gt "$max" ]; then
        echo
        pick "（共 $lines 行，只显示前 $max 行；完整内容见作业产物 $out/）" \
            "($lines lines, the first $max shown; all of it is in the job's artifacts, $out/)"
        echo
    fi
    echo
    echo "</details>"
    echo
}

status_cell() {
    case $1 in
        0) pick "✅ 通过" "✅ pass" ;;
        1) pick "❌ 未通过" "❌ fail" ;;
        *) pick "⚠️ 出错（退出码 $1）" "⚠️ error (exit $1)" ;;
    esac
}

# The check's report without its annotation lines (those are for GitHub).
grep -v '^::' "$out/check.txt" >"$out/check.report.txt"
# Its last line, `N passed, N failed`, when check got that far.
check_totals=$(tail -n 1 "$out/check.report.txt" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | sed 's/.*/ · `&`/')

{
    # Lets a workflow find and update its own comment.
    echo "<!-- callqa-rubric-gate -->"
    echo "## $(pick "callqa：评分标准门禁" "callqa: rubric gate")"
    echo
    echo "| $(pick "步骤" "Step") | $(pick "结果" "Result") |"
    echo "| --- | --- |"
    echo "| $(pick "黄金样例检查（\`callqa check\`）" "Golden fixtures (\`callqa check\`)") | $(status_cell "$check_exit")$check_totals |"
    echo "| $(pick "对语料的影响（\`callqa diff\`，对比 \`$base_ref\`）" "Impact on the corpus (\`callqa diff\` against \`$base_ref\`)") | $(status_cell "$diff_exit") |"
    echo "| $(pick "稳健性（\`callqa mutate\`，仅供参考）" "Robustness (\`callqa mutate\`, information only)") | $(if [ "$mutate_exit" -ge 2 ]; then status_cell "$mutate_exit"; else pick "见下文" "see below"; fi) |"
    echo
    if [ "$check_exit" -ne 0 ]; then
        if [ -s "$out/check.report.txt" ]; then
            collapsed "$(pick "黄金样例检查的报告" "Golden check report")" "$out/check.report.txt" 80
        fi
        if [ -s "$out/check.err" ]; then
            collapsed "$(pick "callqa check 的错误信息" "callqa check errors")" "$out/check.err" 40
        fi
    fi
    if [ -s "$out/diff.md" ] && [ "$diff_exit" -lt 2 ]; then
        cat "$out/diff.md"
        echo
    else
        echo "$(pick "⚠️ callqa diff 没有完成（退出码 $diff_exit）：" "⚠️ callqa diff did not finish (exit $diff_exit):")"
        echo
        if [ -s "$out/diff.md" ]; then
            cat "$out/diff.md"
            echo
        fi
        collapsed "$(pick "callqa diff 的错误信息" "callqa diff errors")" "$out/diff.err" 40
    fi
    if [ "$mutate_exit" -ge 2 ] || [ ! -s "$out/mutate.txt" ]; then
        collapsed "$(pick "callqa mutate 没有完成（退出码 $mutate_exit）" "callqa mutate did not finish (exit $mutate_exit)")" "$out/mutate.err" 40
    else
        collapsed "$(pick "稳健性：各项目在扰动下的表现（callqa mutate，种子 $seed）" "Robustness of each item under perturbation (callqa mutate, seed $seed)")" "$out/mutate.txt" 150
    fi
} >"$out/comment.md"

# GitHub and GitLab refuse comments over 65,536 characters (bytes are a
# stricter measure): cut whole lines, then say where the rest is.
limit=60000
if [ "$(wc -c <"$out/comment.md")" -gt "$limit" ]; then
    awk -v limit="$limit" '{ n += length($0) + 1; if (n > limit) exit; print }' "$out/comment.md" >"$out/comment.cut"
    {
        echo
        pick "（评论过长，已截断；完整内容见作业产物 $out/）" "(comment cut to fit; all of it is in the job's artifacts, $out/)"
        echo
    } >>"$out/comment.cut"
    mv "$out/comment.cut" "$out/comment.md"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$out/comment.md" >>"$GITHUB_STEP_SUMMARY"
fi

echo "== rubric gate: check exit $check_exit, diff exit $diff_exit, mutate exit $mutate_exit (report only) → exit $gate_exit; comment in $out/comment.md"
exit "$gate_exit"
