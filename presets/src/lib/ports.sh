# shellcheck shell=bash
# --- hyprbox: ports and lists (presets/src/lib/ports.sh), shared by the ufw and fail2ban presets ---
# A port param, checked again here (1-65535): a port 0 or 70000 would only fail half-way through apply.
hb_port() { # <name> <value>
  if [[ $2 =~ ^[1-9][0-9]{0,4}$ ]] && [ "$2" -le 65535 ]; then return 0; fi
  echo "param $1 must be a port, 1-65535 (got: $2)" >&2
  return 2
}
# A JSON array of plain strings (how array params arrive), one item a line. Anything else is refused, so no
# item holds a quote, a backslash or a comma; newlines and tabs become spaces, which no item may contain.
hb_json_list() { # <param name> <JSON text>
  local s part list='^ *\[(.*)\] *$' item='^ *"([^"\\]*)" *$'
  s="$(printf '%s' "$2" | tr '\n\r\t' '   ')"
  [[ $s =~ $list ]] || { echo "param $1 must be a JSON array of strings" >&2; return 2; }
  s=${BASH_REMATCH[1]}
  [[ ! $s =~ ^\ *$ ]] || return 0
  while IFS= read -r -d , part; do
    [[ $part =~ $item ]] || { echo "param $1: not a plain string: $part" >&2; return 2; }
    printf '%s\n' "${BASH_REMATCH[1]}"
  done <<< "$s,"
}
# The ports sshd is configured for (sshd -T: `port N`, and the port of each `listenaddress host:port`), one a
# line; none when sshd is not installed. Fails when sshd cannot say: then nobody knows which port SSH needs.
hb_ssh_ports() {
  local eff
  command -v sshd > /dev/null || return 0
  # sshd -T needs its privilege separation directory, which the ssh service creates when it starts.
  [ -d /run/sshd ] || install -d -m 755 /run/sshd
  eff="$(sshd -T 2>&1)" || { echo "cannot tell which port(s) sshd listens on: sshd -T failed: $(head -c 300 <<< "$eff" | tr '\n' ' ')" >&2; return 1; }
  awk '$1 == "port" && $2 ~ /^[0-9]+$/ { print $2 }
    $1 == "listenaddress" && $2 ~ /:[0-9]+$/ { sub(/.*:/, "", $2); print $2 }' <<< "$eff" | sort -nu
}
# --- end of ports.sh ---
