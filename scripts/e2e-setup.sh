#!/usr/bin/env bash
# Installs what the end-to-end suite (test/e2e/) needs: Debian's chromium, ripgrep, the -dev packages
# code-server's native modules build against, and code-server 4.100.3 in a cache folder of its own
# (never in the project's node_modules). Idempotent: a complete cache is reused as it is, so later CI runs
# on the same machine take seconds. See ../shared/E2E-NOTES.md for why each step is done this way
# (this machine reaches npm and Debian only: nothing may download a binary at install time).
#
# Usage: bash scripts/e2e-setup.sh
# Environment:
#   NTSYSCALL_E2E_CODE_SERVER_DIR  where code-server is installed (default /var/cache/ntsyscall-e2e/code-server);
#                                  the suite reads the same variable.
#   NTSYSCALL_E2E_SKIP_APT=1       do not run apt-get (the system packages are known to be there).
set -euo pipefail

readonly CODE_SERVER_VERSION='4.100.3'
readonly CACHE_DIR="${NTSYSCALL_E2E_CODE_SERVER_DIR:-/var/cache/ntsyscall-e2e/code-server}"
# Written last, only after code-server answered --version: its presence means the cache is complete.
readonly COMPLETE_STAMP="$CACHE_DIR/.complete-$CODE_SERVER_VERSION"
readonly SYSTEM_PACKAGES=(chromium ripgrep libkrb5-dev libxkbfile-dev libx11-dev libsecret-1-dev)

started_at=$(date +%s)
step_started_at=$started_at
say() { echo "e2e-setup: $*"; }
step_done() {
  local now; now=$(date +%s)
  say "$1 ($((now - step_started_at)) s)"
  step_started_at=$now
}

# 1. System packages. dpkg-query first: apt-get update alone costs ~20 s, skip it when nothing is missing.
missing_packages=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing_packages+=("$package")
  fi
done
if [ "${#missing_packages[@]}" -eq 0 ]; then
  step_done "system packages already installed: ${SYSTEM_PACKAGES[*]}"
elif [ "${NTSYSCALL_E2E_SKIP_APT:-}" = 1 ]; then
  say "missing system packages ${missing_packages[*]} but NTSYSCALL_E2E_SKIP_APT=1: not installing them" >&2
  exit 1
else
  say "installing system packages: ${missing_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing_packages[@]}" >/dev/null
  step_done "installed ${missing_packages[*]}"
fi
for tool in /usr/bin/chromium /usr/bin/rg; do
  [ -x "$tool" ] || { say "$tool is missing after the install" >&2; exit 1; }
done

# 2. code-server, unless a complete install is cached.
if [ -f "$COMPLETE_STAMP" ] && "$CACHE_DIR/node_modules/.bin/code-server" --version >/dev/null 2>&1; then
  step_done "code-server $CODE_SERVER_VERSION reused from $CACHE_DIR"
else
  # @vscode/ripgrep's install script downloads rg from GitHub, which this machine cannot reach; it takes
  # a tarball from its cache folder first, so put Debian's rg there under the name it looks for.
  ripgrep_cache_dir="$(node -p "require('os').tmpdir()")/vscode-ripgrep-cache-1.15.11"
  ripgrep_tarball="$ripgrep_cache_dir/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -s "$ripgrep_tarball" ]; then
    mkdir -p "$ripgrep_cache_dir"
    staging_dir=$(mktemp -d)
    cp /usr/bin/rg "$staging_dir/rg"
    tar -czf "$ripgrep_tarball" -C "$staging_dir" rg
    rm -rf "$staging_dir"
    say "ripgrep cache prepared: $ripgrep_tarball (Debian's /usr/bin/rg)"
  fi

  mkdir -p "$CACHE_DIR"
  rm -f "$CACHE_DIR"/.complete-*
  say "installing code-server@$CODE_SERVER_VERSION into $CACHE_DIR (builds native modules: a few minutes)"
  export npm_config_yes=true npm_config_unsafe_perm=true npm_config_fund=false npm_config_audit=false
  # Its own package.json keeps npm from walking up into some enclosing project.
  [ -f "$CACHE_DIR/package.json" ] || echo '{ "name": "ntsyscall-e2e-code-server", "private": true }' >"$CACHE_DIR/package.json"
  npm install --prefix "$CACHE_DIR" --no-save "code-server@$CODE_SERVER_VERSION" >"$CACHE_DIR/npm-install.log" 2>&1 || {
    tail -40 "$CACHE_DIR/npm-install.log" >&2
    say "npm install failed; full log: $CACHE_DIR/npm-install.log" >&2
    exit 1
  }
  step_done "npm install code-server@$CODE_SERVER_VERSION"

  # npm 11 may skip the package's install script. What postinstall.sh leaves behind tells: it builds the
  # VS Code server's native modules (spdlog, node-pty) and links the remote CLI as bin/remote-cli/code-server.
  package_dir="$CACHE_DIR/node_modules/code-server"
  if [ ! -f "$package_dir/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" ] \
    || [ ! -f "$package_dir/lib/vscode/node_modules/node-pty/build/Release/pty.node" ] \
    || [ ! -L "$package_dir/lib/vscode/bin/remote-cli/code-server" ]; then
    say "the install script did not run (npm 11 skips it): running postinstall.sh by hand"
    (cd "$package_dir" && npm_config_user_agent="npm/11 node/v20 linux x64" sh ./postinstall.sh) \
      >"$CACHE_DIR/postinstall.log" 2>&1 || {
      tail -40 "$CACHE_DIR/postinstall.log" >&2
      say "postinstall.sh failed; full log: $CACHE_DIR/postinstall.log" >&2
      exit 1
    }
    step_done "postinstall.sh"
  fi

  # The first run may print a log line (it writes ~/.config/code-server/config.yaml) before the version.
  installed_version=$("$CACHE_DIR/node_modules/.bin/code-server" --version 2>/dev/null | grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | head -1 || true)
  case "$installed_version" in
    "$CODE_SERVER_VERSION"*) ;;
    *) say "code-server --version answered '$installed_version', expected $CODE_SERVER_VERSION" >&2; exit 1 ;;
  esac
  touch "$COMPLETE_STAMP"
  step_done "code-server $installed_version ready in $CACHE_DIR ($(du -sh "$CACHE_DIR" | cut -f1))"
fi

say "done in $(($(date +%s) - started_at)) s: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), code-server $CODE_SERVER_VERSION at $CACHE_DIR"
