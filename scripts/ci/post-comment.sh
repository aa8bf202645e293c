#!/usr/bin/env bash
# Posts the rubric gate's comment (callqa-ci/comment.md, or FILE) on the pull
# request (GitHub) or merge request (GitLab) of the running CI job, or updates
# the comment the gate posted before: the one whose body starts with
# <!-- callqa-rubric-gate -->. One comment per pull request, current after
# every push. See docs/ci/README.md.
#
#   bash scripts/ci/post-comment.sh [FILE]
#
# GitHub Actions (GITHUB_ACTIONS=true): the gh CLI, with GH_TOKEN (the
#   workflow's github.token; needs permissions: pull-requests: write),
#   GITHUB_REPOSITORY, and PR (the pull request number).
# GitLab CI (GITLAB_CI=true): curl and jq against the notes API, with
#   CALLQA_GITLAB_TOKEN (a project access token, scope api), CI_API_V4_URL,
#   CI_PROJECT_ID and CI_MERGE_REQUEST_IID.
#
# Exit status: 0 posted or updated, or skipped because there is no token (a
# note says so); 1 when the platform refused; 2 on a usage error.

set -u
set -o pipefail

marker='<!-- callqa-rubric-gate -->'
file=${1:-callqa-ci/comment.md}

die() {
    echo "post-comment: $*" >&2
    exit 2
}

[ -f "$file" ] || die "$file: no such file (run scripts/ci/rubric-gate.sh first)"
[ "$(head -n 1 "$file")" = "$marker" ] || die "$file does not start with $marker: not a rubric-gate comment"

need() {
    local name
    for name in "$@"; do
        [ -n "${!name:-}" ] || die "$name is not set (see docs/ci/README.md)"
    done
}

if [ "${GITHUB_ACTIONS:-}" = true ]; then
    if [ -z "${GH_TOKEN:-}" ]; then
        echo "post-comment: GH_TOKEN is not set: no pull-request comment"
        exit 0
    fi
    need GITHUB_REPOSITORY PR
    id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR/comments" \
        --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"$marker\"))) | .id" |
        tail -n 1) || exit 1
    if [ -n "$id" ]; then
        gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$file" >/dev/null || exit 1
        echo "post-comment: updated comment $id on pull request #$PR"
    else
        gh pr comment "$PR" --repo "$GITHUB_REPOSITORY" --body-file "$file" || exit 1
        echo "post-comment: commented on pull request #$PR"
    fi
elif [ "${GITLAB_CI:-}" = true ]; then
    if [ -z "${CALLQA_GITLAB_TOKEN:-}" ]; then
        echo "post-comment: CALLQA_GITLAB_TOKEN is not set: no merge-request comment (see docs/ci/README.md)"
        exit 0
    fi
    need CI_API_V4_URL CI_PROJECT_ID CI_MERGE_REQUEST_IID
    notes="$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"
    auth="PRIVATE-TOKEN: $CALLQA_GITLAB_TOKEN"
    # Newest first: the gate's latest note is the one to update.
    id=$(curl -sS --fail --header "$auth" "$notes?per_page=100&sort=desc&order_by=created_at" |
        jq -r --arg m "$marker" '[.[] | select(.body | startswith($m))][0].id // empty') || exit 1
    if [ -n "$id" ]; then
        curl -sS --fail --request PUT --header "$auth" \
            --data-urlencode "body@$file" "$notes/$id" >/dev/null || exit 1
        echo "post-comment: updated note $id on merge request !$CI_MERGE_REQUEST_IID"
    else
        curl -sS --fail --request POST --header "$auth" \
            --data-urlencode "body@$file" "$notes" >/dev/null || exit 1
        echo "post-comment: commented on merge request !$CI_MERGE_REQUEST_IID"
    fi
else
    die "neither GitHub Actions (GITHUB_ACTIONS=true) nor GitLab CI (GITLAB_CI=true): nowhere to post $file"
fi
