# shellcheck shell=bash
# --- hyprbox: authorized keys (presets/src/lib/authorized-keys.sh); params user, keys, remove ---
# shellcheck disable=SC2034 # not every step uses every constant
HB_AK_RE='^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._+=:-]{1,100})?$'
# A JSON array of keys, one a line. Its items may hold no quote, comma or backslash, so splitting is exact;
# anything else is refused.
hb_ak_list() { # <json>
  local list item
  list="$(printf '%s' "$1" | tr -d '[]\n\r' | tr ',' '\n')"
  while IFS= read -r item; do
    item="${item#"${item%%[![:space:]]*}"}"
    item="${item%"${item##*[![:space:]]}"}"
    [ -n "$item" ] || continue
    item="${item#\"}"
    item="${item%\"}"
    [[ $item =~ $HB_AK_RE ]] || { echo "not a public key line: ${item:0:60}" >&2; return 2; }
    printf '%s\n' "$item"
  done <<< "$list"
}
hb_ak_params() {
  [[ $user =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || { echo "param user is not a user name" >&2; return 2; }
  hb_ak_list "$keys" > /dev/null && hb_ak_list "$remove" > /dev/null
}
hb_ak_file() {
  local home
  home="$(getent passwd "$user" | cut -d: -f6)"
  [ -n "$home" ] || { echo "no user $user on this host" >&2; return 2; }
  printf '%s/.ssh/authorized_keys\n' "$home"
}
# "type base64" of each key line on stdin (options and comments dropped).
hb_ak_blobs() { grep -oE '(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}' || true; }
hb_ak_missing() { # <file>: wanted keys not in it
  local have k
  have="$(hb_ak_blobs < "$1" 2> /dev/null || true)"
  hb_ak_list "$keys" | while IFS= read -r k; do
    grep -qxF "$(hb_ak_blobs <<< "$k")" <<< "$have" || printf '%s\n' "$k"
  done
}
hb_ak_retired() { # <file>: retired keys ("type base64") still in it
  local have k
  have="$(hb_ak_blobs < "$1" 2> /dev/null || true)"
  hb_ak_list "$remove" | hb_ak_blobs | while IFS= read -r k; do
    grep -qxF "$k" <<< "$have" && printf '%s\n' "$k"
  done
  return 0
}
# --- end of authorized-keys.sh ---
