# shellcheck shell=bash
# --- hyprbox: node_exporter (presets/src/lib/node-exporter.sh); param listenAddress ---
# The package's init script and unit read ARGS from this file (the init script sources it: the param is
# checked to hold only address characters).
# shellcheck disable=SC2034 # not every step uses every constant
HB_NE_DEFAULTS=/etc/default/prometheus-node-exporter
hb_ne_conf() {
  [[ $listenAddress =~ ^(\[[0-9A-Fa-f:.]+\]|[0-9.]*):[0-9]{1,5}$ ]] || { echo "param listenAddress is not host:port" >&2; return 2; }
  printf '%s\n' '# Managed by HyprBox (monitoring-stack preset).' "ARGS=\"--web.listen-address=$listenAddress\""
}
# GET /metrics over bash's /dev/tcp (no curl needed), from the address it listens on (loopback for every address).
hb_ne_scrape() {
  local host=${listenAddress%:*} port=${listenAddress##*:}
  host=${host#[}
  host=${host%]}
  [ -n "$host" ] && [ "$host" != 0.0.0.0 ] || host=127.0.0.1
  exec 3<> "/dev/tcp/$host/$port" || return 1
  printf 'GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" >&3
  timeout 10 cat <&3
  exec 3<&-
}
# --- end of node-exporter.sh ---
