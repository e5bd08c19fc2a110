#!/usr/bin/env bash
# npm run bench [-- --only ralm,minisearch --corpus scifact|wordnet --quick]
# Installs the Debian packages the comparison needs when they are missing (wordnet-base: the ~117k-document
# corpus; python3-xapian: the Xapian peer), then runs the orchestrator, passing every argument through.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -f /usr/share/wordnet/data.noun ] || need+=(wordnet-base)
if ! python3 -c 'import xapian' 2>/dev/null && ! /usr/bin/python3 -c 'import xapian' 2>/dev/null; then
  need+=(python3-xapian)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "[bench] installing ${need[*]} with apt-get" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null; }; then
    echo "[bench] could not install ${need[*]}; the parts that need them are skipped" >&2
  fi
fi

exec npx vite-node bench/bm25-peers.ts -- "$@"
