# shellcheck shell=bash
# --- hyprbox: ufw (presets/src/lib/ufw.sh); params sshPort, allow ---
# The rules to allow, one a line: the SSH port always, then the allow list. `allow` arrives as JSON text (an
# array of "port[:port]/tcp|udp"); anything else in it is refused, so splitting it on commas is exact.
hb_ufw_rules() {
  local list item
  hb_int sshPort "$sshPort" || return 2
  printf '%s/tcp\n' "$sshPort"
  list="$(printf '%s' "${allow:-[]}" | tr -d '[]" \n\r\t' | tr ',' '\n')"
  while IFS= read -r item; do
    [ -n "$item" ] || continue
    [[ $item =~ ^[0-9]{1,5}(:[0-9]{1,5})?/(tcp|udp)$ ]] || { echo "allow: not a port/protocol: $item" >&2; return 2; }
    printf '%s\n' "$item"
  done <<< "$list"
}
# 0 compliant (active, deny incoming, every rule added), 1 drifted, 3 unknown.
hb_ufw_check() {
  local rules status added r
  rules="$(hb_ufw_rules)" || return 3
  command -v ufw > /dev/null || { echo "ufw is not installed"; return 1; }
  status="$(ufw status verbose 2>&1)" || { echo "ufw status failed: $status" >&2; return 3; }
  grep -q '^Status: active' <<< "$status" || { echo "ufw is inactive"; return 1; }
  grep -q '^Default: deny (incoming), allow (outgoing)' <<< "$status" || { echo "ufw defaults are not deny incoming / allow outgoing"; return 1; }
  added="$(ufw show added 2>&1)" || return 3
  while IFS= read -r r; do
    grep -qxF "ufw allow $r" <<< "$added" || { echo "ufw does not allow $r"; return 1; }
  done <<< "$rules"
}
hb_ufw_apply() { # <backup dir>
  local rules r rc=0
  rules="$(hb_ufw_rules)"
  hb_install ufw
  hb_ufw_check > /dev/null || rc=$?
  if [ "$rc" = 0 ]; then echo "ufw: already active with the allow list"; return 0; fi
  # Before changing anything: ufw's files and whether it was active, for the rollback.
  tar -C /etc -cf "$1/ufw-etc.tar" ufw
  if grep -q '^Status: active' <<< "$(ufw status)"; then echo active > "$1/ufw.state"; else echo inactive > "$1/ufw.state"; fi
  ufw default deny incoming > /dev/null
  ufw default allow outgoing > /dev/null
  # The SSH port is the first rule, added before ufw is enabled: the session running this keeps working.
  while IFS= read -r r; do ufw allow "$r" > /dev/null; echo "ufw: allow $r"; done <<< "$rules"
  ufw --force enable
}
hb_ufw_rollback() { # <backup dir>
  [ -f "$1/ufw-etc.tar" ] || { echo "ufw: not changed by the last run"; return 0; }
  tar -C /etc -xf "$1/ufw-etc.tar"
  if [ "$(cat "$1/ufw.state")" = active ]; then ufw --force enable; else ufw --force disable; fi
}
# --- end of ufw.sh ---
