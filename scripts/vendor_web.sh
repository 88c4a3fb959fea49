#!/usr/bin/env bash
# Vendors the browser console's third-party files from the npm registry at
# pinned versions into web/vendor/, with their licences, and writes
# web/vendor/VERSIONS.md (name, version, licence, SHA-256 of each file).
# The daemon embeds web/ at build time: no front-end build step, and no
# network at run time (the basemap ships with aiswatch).
#
# Usage: scripts/vendor_web.sh   (needs npm; run again after changing a pin)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(dirname "$here")
out=$repo/web/vendor
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# name@version  files to take (relative to the package root)  licence file
pins=(
  "leaflet@1.9.4|dist/leaflet.js dist/leaflet.css|LICENSE"
  "topojson-client@3.1.0|dist/topojson-client.min.js|LICENSE"
  "world-atlas@2.0.2|land-50m.json|LICENSE"
)
rm -rf "$out"; mkdir -p "$out"
{
  echo "# Vendored browser files"
  echo
  echo "Made by \`scripts/vendor_web.sh\` from the npm registry; do not edit by hand."
  echo "world-atlas is Natural Earth's 1:50m land (public domain) as TopoJSON."
  echo
  echo "| package | version | licence | file | SHA-256 |"
  echo "|---|---|---|---|---|"
} > "$tmp/VERSIONS.md"
for pin in "${pins[@]}"; do
  IFS='|' read -r spec files licence <<< "$pin"
  name=${spec%@*}; version=${spec##*@}
  (cd "$tmp" && npm pack --silent "$spec" > /dev/null)
  tgz=$(ls "$tmp"/"${name}"-"${version}".tgz)
  mkdir -p "$tmp/$name" && tar -xzf "$tgz" -C "$tmp/$name"
  pkg=$tmp/$name/package
  lic=$(node -e "console.log(require('$pkg/package.json').license)")
  mkdir -p "$out/$name"
  cp "$pkg/$licence" "$out/$name/LICENSE"
  for f in $files; do
    cp "$pkg/$f" "$out/$name/$(basename "$f")"
    sum=$(sha256sum "$out/$name/$(basename "$f")" | cut -d' ' -f1)
    echo "| $name | $version | $lic | $name/$(basename "$f") | \`$sum\` |" >> "$tmp/VERSIONS.md"
  done
done
cp "$tmp/VERSIONS.md" "$out/VERSIONS.md"
echo "vendored into $out:"; du -sh "$out"/*
