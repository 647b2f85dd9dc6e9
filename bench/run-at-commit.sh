#!/usr/bin/env bash
# Benchmark a committed version of the platform rather than the working tree (which may be
# mid-edit): export REF with `git archive` into a temporary directory, run this checkout's
# bench/ there, copy the results back into bench/results/, remove the export.
#
#   bench/run-at-commit.sh HEAD --appeals 2000 --concurrency 32
set -euo pipefail
ref="${1:?usage: bench/run-at-commit.sh REF [pipeline.py options…]}"; shift
repo="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$repo" rev-parse --short "$ref^{commit}")"
export_dir="$(mktemp -d "/tmp/hromada-bench-src-$commit-XXXX")"
trap 'rm -rf "$export_dir"' EXIT
git -C "$repo" archive "$commit" | tar -x -C "$export_dir"
rm -rf "$export_dir/bench" && cp -r "$repo/bench" "$export_dir/bench" && rm -rf "$export_dir/bench/results"
ln -s "$repo/.venv" "$export_dir/.venv"
echo "benchmarking commit $commit (exported to $export_dir)" >&2
status=0
# PYTHONPATH puts the exported hromada_common ahead of the venv's editable install (whose
# finder comes last on sys.meta_path); services import their own package from their cwd.
(cd "$export_dir" && BENCH_COMMIT="$commit" PYTHONPATH="$export_dir/libs/common" \
    "$repo/.venv/bin/python" bench/pipeline.py "$@") || status=$?
mkdir -p "$repo/bench/results"
cp -r "$export_dir/bench/results/." "$repo/bench/results/" 2>/dev/null || true
exit $status
