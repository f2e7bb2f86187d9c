#!/usr/bin/env bash
# ensure_apt.sh COMMAND PACKAGE: install Debian's PACKAGE when COMMAND is missing (as root or with
# passwordless sudo). Never fails the build: what needs COMMAND says loudly that it did not run.
set -u
cmd=$1 pkg=$2
command -v "$cmd" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
else
  echo "NOTE: $cmd is missing and installing $pkg needs root; what needs it will be skipped or fail loudly."
  exit 0
fi
echo "Installing Debian's $pkg (for $cmd)…"
if ! $sudo apt-get install -y -q "$pkg" >/dev/null 2>&1; then
  $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q "$pkg" >/dev/null 2>&1 \
    || echo "NOTE: apt-get could not install $pkg; what needs $cmd will be skipped or fail loudly."
fi
exit 0
