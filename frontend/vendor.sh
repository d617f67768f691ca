#!/usr/bin/env bash
# Refresh the vendored browser libraries from npm (versions in package.json); the platform serves
# them itself, pages never load a CDN.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
cp package.json "$tmp/"
(cd "$tmp" && npm install --no-audit --no-fund --omit=dev >/dev/null)
# Without its last line, `//# sourceMappingURL=hls.min.js.map`: the map is not vendored, and collectstatic
# (hashed names under DEBUG=0) refuses a file that names a file it cannot find.
sed '/^\/\/# sourceMappingURL=/d' "$tmp/node_modules/hls.js/dist/hls.min.js" > static/frontend/vendor/hls.min.js
cp "$tmp/node_modules/hls.js/LICENSE" static/frontend/vendor/hls.js.LICENSE
cp "$tmp/node_modules/axe-core/axe.min.js" static/frontend/vendor/
cp "$tmp/node_modules/axe-core/LICENSE" static/frontend/vendor/axe-core.LICENSE
rm -rf "$tmp"
echo "vendored: $(ls static/frontend/vendor)"
