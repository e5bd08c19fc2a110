#!/usr/bin/env bash
# Ingestion benchmark (issue "Ingestion of real documents"): bash bench/ingest.sh [-- --only throughput,profile,trees,memory
# --runs 3 --files 10000 --memory-mb 1024 --worktree]. Writes bench/results/ingest.md.
# A separate script rather than a step of run.sh: run.sh ends with `exec` into the peer comparison (owned elsewhere).
# Installs Debian's python3.11-doc and linux-doc-6.1 (the real documentation trees) when they are missing; when that
# fails, the trees part is skipped with a one-line message.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -d /usr/share/doc/python3.11/html ] || need+=(python3.11-doc)
[ -d /usr/share/doc/linux-doc-6.1 ] || need+=(linux-doc-6.1)
if [ ${#need[@]} -gt 0 ]; then
  echo "[ingest] installing ${need[*]} with apt-get" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null; }; then
    echo "[ingest] could not install ${need[*]}; the documentation trees are skipped" >&2
  fi
fi

[ "${1:-}" = "--" ] && shift
exec npx vite-node bench/ingest.ts -- "$@"
