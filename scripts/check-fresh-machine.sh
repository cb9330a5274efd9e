#!/usr/bin/env bash
# Proves that `npm ci && npm test` passes on a machine with nothing but Node and npm: a clean clone of
# this repository's HEAD, with no ../shared beside it, run where PostgreSQL (PATH and
# /usr/lib/postgresql), promtool, zsh, fish and any `inngest` are hidden, and INNGEST_DEV_BIN unset.
#
#   sudo scripts/check-fresh-machine.sh            # KEEP=1 keeps the clone and its logs
#
# Linux, as root: the hiding happens in a private mount namespace (unshare -m), so nothing changes
# for the rest of the machine. Each PATH folder that holds a hidden program gets an overlay of itself
# with those programs deleted; /usr/lib/postgresql is covered by an empty tmpfs. The clone
# sits in a folder only root can enter, as a checkout under /root does (the PostgreSQL tests run their
# server as `nobody`, and must cope).
set -euo pipefail
HIDDEN=(postgres initdb pg_ctl pg_ctlcluster psql promtool zsh fish inngest)
repo=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" != "--inside" ]; then
  [ "$(id -u)" = 0 ] || { echo "check-fresh-machine: run as root (it hides programs in a private mount namespace)" >&2; exit 2; }
  work=$(mktemp -d /tmp/ayida-fresh-XXXXXX) # mode 700
  git clone -q --no-hardlinks "$repo" "$work/ayida-jobs"
  echo "fresh clone of $(git -C "$repo" rev-parse --short HEAD) in $work/ayida-jobs (no ../shared beside it)"
  status=0
  unshare -m --propagation private -- "$0" --inside "$work" || status=$?
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
  exit $status
fi

# --- inside the private mount namespace ---
work=$2
layers=$work/.layers
n=0
IFS=: read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  hit=()
  for name in "${HIDDEN[@]}"; do if [ -e "$dir/$name" ] || [ -L "$dir/$name" ]; then hit+=("$name"); fi; done
  [ ${#hit[@]} -gt 0 ] || continue
  # An overlay on the folder itself, the hidden programs deleted in it: every other program keeps its
  # own path (gcc finds cc1 from where it is), and the folder below is untouched.
  n=$((n + 1))
  mkdir -p "$layers/$n/upper" "$layers/$n/work"
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layers/$n/upper,workdir=$layers/$n/work" "$dir"
  for name in "${hit[@]}"; do rm -f "$dir/$name"; done
  echo "covered $dir (hid: ${hit[*]})"
done
[ -d /usr/lib/postgresql ] && mount -t tmpfs -o size=1m none /usr/lib/postgresql && echo "covered /usr/lib/postgresql"
unset INNGEST_DEV_BIN

for name in "${HIDDEN[@]}"; do
  if command -v "$name" >/dev/null 2>&1; then echo "check-fresh-machine: $name is still on PATH ($(command -v "$name"))" >&2; exit 1; fi
done
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then echo "check-fresh-machine: /usr/lib/postgresql still has a server" >&2; exit 1; fi
[ ! -e "$work/shared" ] || { echo "check-fresh-machine: $work/shared exists" >&2; exit 1; }
echo "node $(node --version), npm $(npm --version); hidden: ${HIDDEN[*]}"

cd "$work/ayida-jobs"
start=$SECONDS
npm ci --no-audit --no-fund 2>&1 | tee "$work/npm-ci.log" | tail -3
echo "npm ci: $((SECONDS - start)) s"
start=$SECONDS
set +e
npm test 2>&1 | tee "$work/npm-test.log" | grep -E "Test Files|Tests |Duration|FAIL|✗|×" | head -40
status=${PIPESTATUS[0]}
set -e
echo "npm test: exit $status, $((SECONDS - start)) s"
if grep -qE "Tests .*skipped" "$work/npm-test.log"; then echo "check-fresh-machine: cases were skipped" >&2; status=1; fi
exit "$status"
