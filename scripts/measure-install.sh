#!/bin/sh
# Measures what a person's global install of this package costs: packages installed, megabytes on
# disk and seconds, into a fresh prefix (npm's cache as it is, so the time is mostly npm's own work).
# Usage: sh scripts/measure-install.sh [TARBALL]   (default: npm pack of this checkout, built first)
# npm run bench runs it after the timings.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -gt 0 ]; then
  tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  (cd "$root" && npm run build >/dev/null && npm pack --ignore-scripts --silent --pack-destination "$work" >/dev/null)
  tarball=$(ls "$work"/*.tgz)
fi
start=$(date +%s.%N)
npm install --global --prefix "$work/prefix" --no-audit --no-fund --loglevel=error "$tarball" >/dev/null
end=$(date +%s.%N)
modules="$work/prefix/lib/node_modules"
# Every package folder npm put there, the tool itself excluded.
packages=$(($(npm ls --global --prefix "$work/prefix" --all --parseable 2>/dev/null | grep -c node_modules/) - 1))
# In MB of 1024 KB, one decimal (du -sm rounds up to whole megabytes).
size=$(du -sk "$modules" | awk '{ printf "%.1f", $1 / 1024 }')
echo "tarball: $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KB)"
echo "packages: $packages"
echo "size: ${size} MB"
echo "time: $(echo "$end - $start" | bc) s"
if [ "$packages" -le 30 ] && [ "$(echo "$size <= 5" | bc)" -eq 1 ]; then verdict=met; else verdict=missed; fi
echo "goal: at most 30 packages and 5 MB: $verdict"
yeoman=$(ls -d "$modules"/*/node_modules/yeoman-* "$modules"/*/node_modules/@yeoman 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
echo "yeoman: ${yeoman:-none}"
"$work/prefix/bin/bindplane-distributed" --version >/dev/null && echo "bindplane-distributed --version: ok"
