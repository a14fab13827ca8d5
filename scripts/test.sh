#!/usr/bin/env bash
# The test command: cmocka unit tests through meson (TAP), then the
# end-to-end suite through Debian's pytest.  Needs root (FUSE mounts in a
# private mount namespace) and a build in ./build (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
meson test -C build --print-errorlogs
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e
