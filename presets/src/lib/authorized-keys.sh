# shellcheck shell=bash
# --- hyprbox: authorized keys (presets/src/lib/authorized-keys.sh); params user, keys, remove ---
# Root never acts through a path the user controls. It only lstat()s the home, ~/.ssh and authorized_keys (to
# refuse symlinks and foreign owners). Every open, create, chmod, rename or unlink under the home runs AS THE
# USER (runuser). A symlink swapped in at any moment can therefore only lead to files the user could already
# read or write: no chown to race (#5), no root-created directory (#4), no root read of /etc/shadow (#9).
# shellcheck disable=SC2034 # not every step uses every constant
HB_AK_RE='^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._+=:-]{1,100})?$'
HB_AK_BLOB='(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}'
HB_AK_TOP=/var/backups/hyprbox/ssh-authorized-keys
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
# The paths as globals: ak_uid, ak_home, ak_dir (~/.ssh), ak_file (~/.ssh/authorized_keys).
hb_ak_paths() {
  local pw
  pw="$(getent passwd "$user")" || { echo "no user $user on this host" >&2; return 2; }
  ak_uid="$(cut -d: -f3 <<< "$pw")"
  ak_home="$(cut -d: -f6 <<< "$pw")"
  [[ $ak_home == /* ]] || { echo "$user's home directory is not an absolute path: '$ak_home'" >&2; return 2; }
  ak_dir="$ak_home/.ssh"
  ak_file="$ak_dir/authorized_keys"
}
# Whether <path> is a real (not symlinked) <directory|regular file> owned by the user; says what it is if not.
hb_ak_owned() { # <path> <directory|regular file>
  if [ -L "$1" ]; then echo "$1 is a symlink (to $(readlink -- "$1")), not a $2 of $user's"; return 1; fi
  case "$2" in
    directory) [ -d "$1" ] || { echo "$1 is not a directory"; return 1; } ;;
    *) [ -f "$1" ] || { echo "$1 is not a regular file"; return 1; } ;;
  esac
  [ "$(stat -c %u -- "$1")" = "$ak_uid" ] || { echo "$1 belongs to $(stat -c %U -- "$1"), not to $user"; return 1; }
}
# The layout root will work with (#4, #9): home and ~/.ssh real directories of the user's, authorized_keys a
# regular file of the user's (each of the last two when it exists). Prints the problem and fails otherwise.
hb_ak_layout() {
  [ -e "$ak_home" ] || [ -L "$ak_home" ] || { echo "$user's home directory $ak_home does not exist"; return 1; }
  hb_ak_owned "$ak_home" directory || return 1
  if [ -e "$ak_dir" ] || [ -L "$ak_dir" ]; then hb_ak_owned "$ak_dir" directory || return 1; fi
  if [ -e "$ak_file" ] || [ -L "$ak_file" ]; then hb_ak_owned "$ak_file" 'regular file' || return 1; fi
}
# sshd -T needs a host key and /run/sshd. The ssh service makes /run/sshd when it starts. A host whose
# sshd has no key yet still has a configuration, so that one is read with a throwaway key.
hb_ak_sshd_T() {
  local d out rc=0
  [ -d /run/sshd ] || install -d -m 755 /run/sshd
  if out="$(sshd -T -C "user=$user,host=localhost,addr=127.0.0.1" 2>&1)"; then printf '%s\n' "$out"; return 0; fi
  d="$(mktemp -d)"
  ssh-keygen -q -t ed25519 -N '' -f "$d/key" > /dev/null 2>&1 || true
  sshd -T -h "$d/key" -C "user=$user,host=localhost,addr=127.0.0.1" 2>&1 || rc=$?
  rm -rf -- "$d"
  return "$rc"
}
# One AuthorizedKeysFile entry as sshd expands it for the user (%h %u %U %%; relative means to the home).
hb_ak_expand() { # <entry>
  local f="${1//"%%"/$'\001'}"
  f="${f//"%h"/"$ak_home"}"
  f="${f//"%u"/"$user"}"
  f="${f//"%U"/"$ak_uid"}"
  f="${f//$'\001'/%}"
  [[ $f == /* ]] || f="$ak_home/$f"
  realpath -ms -- "$f"
}
# Whether sshd reads ~/.ssh/authorized_keys for the user (#15): this preset writes only that file, so it
# is useless (and a "removed" key still works) where AuthorizedKeysFile points elsewhere. No sshd: yes.
hb_ak_sshd_reads() {
  local eff line entry want
  local -a entries
  command -v sshd > /dev/null || return 0
  eff="$(hb_ak_sshd_T)" || { echo "sshd -T cannot tell which files sshd reads keys from: ${eff:0:300}"; return 1; }
  line="$(grep -m1 '^authorizedkeysfile ' <<< "$eff" || true)"
  read -ra entries <<< "${line#authorizedkeysfile}"
  want="$(realpath -ms -- "$ak_file")"
  for entry in "${entries[@]}"; do
    [ "$entry" != none ] || continue
    [ "$(hb_ak_expand "$entry")" != "$want" ] || return 0
  done
  echo "sshd does not read $ak_file for $user (its AuthorizedKeysFile is: ${line#authorizedkeysfile })"
  return 1
}
# Everything the steps that change the file refuse on; prints the reason.
hb_ak_guard() { hb_ak_layout && hb_ak_sshd_reads; }
hb_ak_exists() { [ -e "$ak_file" ] || [ -L "$ak_file" ]; }
# The current file, read AS THE USER (#9): whatever a symlink or a swap points at, the user could read it anyway.
hb_ak_cat() {
  hb_ak_exists || return 0
  runuser -u "$user" -- cat -- "$ak_file"
}
# Runs as the user (see hb_ak_write): stdin becomes <dir>/authorized_keys via a private temporary file renamed over it.
hb_ak_put_here() { # <dir>
  local t
  umask 077
  [ -d "$1" ] || mkdir -m 700 -- "$1"
  chmod 700 -- "$1"
  t="$(mktemp -- "$1/.hyprbox.XXXXXX")"
  if cat > "$t" && chmod 600 -- "$t" && mv -fT -- "$t" "$1/authorized_keys"; then return 0; fi
  rm -f -- "$t"
  return 1
}
# Stdin becomes ~/.ssh/authorized_keys, written AS THE USER (#4, #5): the user's own file, mode 600, ~/.ssh 700.
# shellcheck disable=SC2016 # $1 is the user's bash's own argument
hb_ak_write() {
  runuser -u "$user" -- bash -c "$(declare -f hb_ak_put_here)"'; set -euo pipefail; hb_ak_put_here "$1"' hb-ak "$ak_dir"
}
# A comment line (optional blanks, then #) is never a key, whatever it quotes (#8).
hb_ak_comment() { [[ $1 =~ ^[[:space:]]*# ]]; }
# "type base64" of each key on stdin's non-comment lines (options and comments dropped).
hb_ak_blobs() { grep -v '^[[:space:]]*#' | grep -oE "$HB_AK_BLOB" || true; }
# Keys (as hb_ak_blobs) the user can log in with: a line whose options confine it (command=, restrict, from=:
# a forced command, or an address we cannot check) is no login, so it never counts as a key left.
hb_ak_login_keys() {
  local line b
  while IFS= read -r line || [ -n "$line" ]; do
    hb_ak_comment "$line" && continue
    [[ $line =~ $HB_AK_BLOB ]] || continue
    b="${BASH_REMATCH[0]}"
    [[ ${line%%"$b"*} =~ (command=|restrict|from=) ]] && continue
    printf '%s\n' "$b"
  done
}
hb_ak_missing() { # current file on stdin: wanted keys not in it (each once)
  local have b k
  have="$(hb_ak_blobs)"
  hb_ak_list "$keys" | while IFS= read -r k; do
    b="$(hb_ak_blobs <<< "$k")"
    grep -qxF -- "$b" <<< "$have" && continue
    printf '%s\n' "$k"
    have+=$'\n'"$b"
  done
}
hb_ak_retired() { # current file on stdin: retired keys ("type base64") still in it
  local have k
  have="$(hb_ak_blobs)"
  hb_ak_list "$remove" | hb_ak_blobs | while IFS= read -r k; do
    grep -qxF -- "$k" <<< "$have" && printf '%s\n' "$k"
  done
  return 0
}
# Stdin without the key lines that hold a retired key ("type base64" lines in <retired>); comments are kept.
hb_ak_without() { # <retired>
  local line rest b drop
  local -A gone=()
  while IFS= read -r b; do [ -z "$b" ] || gone[$b]=1; done <<< "$1"
  while IFS= read -r line || [ -n "$line" ]; do
    drop=0
    rest="$line"
    while ! hb_ak_comment "$line" && [[ $rest =~ $HB_AK_BLOB ]]; do
      b="${BASH_REMATCH[0]}"
      [ -z "${gone[$b]:-}" ] || drop=1
      rest="${rest#*"$b"}"
    done
    [ "$drop" = 1 ] || printf '%s\n' "$line"
  done
}
# What apply does to the current file (stdin). Sets ak_missing, ak_retired, ak_new (the new file) and ak_left
# (keys it holds).
# shellcheck disable=SC2034 # the steps read what they need
hb_ak_plan() {
  local cur
  cur="$(cat)"
  ak_missing="$(hb_ak_missing <<< "$cur")"
  ak_retired="$(hb_ak_retired <<< "$cur")"
  ak_new="$( { [ -z "$cur" ] || hb_ak_without "$ak_retired" <<< "$cur"; }; [ -z "$ak_missing" ] || printf '%s\n' "$ak_missing")"
  ak_left="$(hb_ak_login_keys <<< "$ak_new" | grep -c . || true)"
}
hb_ak_count() { grep -c . <<< "$1" || true; }
# A run directory only when a change is about to be made (#16), so refused and no-op runs leave `last` at
# the previous real change. `applied` names this run's directory, so rollback undoes exactly this run.
hb_ak_backup() { # <copy of the current file> <had one: 0|1>
  ak_run="$HB_AK_TOP/$(date -u +%Y%m%dT%H%M%SZ)-$$"
  ak_prev="$(readlink -- "$HB_AK_TOP/last" || true)"
  install -d -m 700 /var/backups/hyprbox "$HB_AK_TOP" "$ak_run"
  if [ "$2" = 1 ]; then cp -- "$1" "$ak_run/$user.keys"; else : > "$ak_run/$user.absent"; fi
  ln -sfn "$ak_run" "$HB_AK_TOP/last"
  ln -sfn "$ak_run" "$HB_AK_TOP/applied"
}
# When the write failed after all, nothing changed: the run directory goes and `last` points back.
hb_ak_unbackup() {
  rm -f -- "$HB_AK_TOP/applied"
  rm -rf -- "$ak_run"
  if [ -n "$ak_prev" ]; then ln -sfn "$ak_prev" "$HB_AK_TOP/last"; else rm -f -- "$HB_AK_TOP/last"; fi
}
# At the start of every apply: this run has changed nothing yet.
hb_ak_forget() { rm -f -- "$HB_AK_TOP/applied"; }
# Undoes this run's apply: the saved content written back AS THE USER (or the file removed as the user).
hb_ak_restore() {
  local run why
  run="$(readlink -- "$HB_AK_TOP/applied")" || { echo "$ak_file: not changed by the last run"; return 0; }
  why="$(hb_ak_layout)" || { echo "refusing to roll back: $why; nothing changed (the old file is in $run)" >&2; return 1; }
  if [ -f "$run/$user.keys" ]; then
    hb_ak_write < "$run/$user.keys"
    echo "restored $ak_file"
  elif [ -f "$run/$user.absent" ]; then
    runuser -u "$user" -- rm -f -- "$ak_file"
    echo "removed $ak_file (there was none before)"
  else
    echo "$ak_file: not changed by the last run"
  fi
}
# --- end of authorized-keys.sh ---
