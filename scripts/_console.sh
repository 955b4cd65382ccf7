# Sourced by dev.sh and test.sh: installs the console's npm packages (`npm ci`) and builds it
# into console/dist, each skipped while its stamp says the inputs are unchanged.
console_build() {
  (
    set -euo pipefail
    cd "$(dirname "${BASH_SOURCE[0]}")/../console"
    command -v npm >/dev/null || { echo "console: npm not found (Node.js 20 is needed)" >&2; exit 1; }
    local lock sources
    lock=$(sha1sum package-lock.json | cut -c1-12)
    if [ ! -f "node_modules/.wayline-ci-$lock" ]; then
      npm ci --no-audit --no-fund --loglevel=error
      touch "node_modules/.wayline-ci-$lock"
    fi
    sources=$( (cat package-lock.json index.html vite.config.ts tsconfig.json scripts/size.mjs;
                find src -type f | LC_ALL=C sort | xargs cat) | sha1sum | cut -c1-12)
    if [ "$(cat dist/.build-stamp 2>/dev/null)" != "$sources" ]; then
      npm run --silent build
      echo "$sources" > dist/.build-stamp
    else
      echo "console: build is current (dist/.build-stamp)"
    fi
  )
}

console_checks() {
  (
    set -euo pipefail
    cd "$(dirname "${BASH_SOURCE[0]}")/../console"
    npm run --silent lint
    npm run --silent typecheck
    npm run --silent test
  )
}
