#!/bin/sh
# Installs what probe's demo and tests run against, with Debian's packages,
# only when missing: Chromium (browser flows), Prometheus with promtool
# (metrics and rules tests), the Pushgateway, and xmllint (the JUnit report is
# validated against its schema). Safe to run again.
set -eu

missing=""
need() { # need COMMAND PACKAGE
	if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "/usr/bin/$1" ]; then
		missing="$missing $2"
	fi
}
need go golang-go
need chromium chromium
need prometheus prometheus
need promtool prometheus
need prometheus-pushgateway prometheus-pushgateway
need xmllint libxml2-utils
[ -e /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || missing="$missing fonts-liberation"

# Each package once, in order.
pkgs=$(echo "$missing" | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
if [ -z "$pkgs" ]; then
	exit 0
fi
case " $pkgs " in *" golang-go "*)
	echo "setup: Go is missing: install Go 1.26 from https://go.dev/dl/ (Debian's golang-go is too old)" >&2
	exit 1 ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "setup: missing Debian packages: $pkgs" >&2
	echo "setup: run as root, or install them yourself:  sudo apt-get install -y $pkgs" >&2
	exit 1
fi
echo "setup: installing $pkgs"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
echo "setup: installed $pkgs"
