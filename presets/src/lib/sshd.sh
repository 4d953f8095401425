# shellcheck shell=bash
# --- hyprbox: sshd hardening (presets/src/lib/sshd.sh); param permitRootLogin ---
# shellcheck disable=SC2034 # not every step uses every constant
HB_SSHD=/etc/ssh/sshd_config
hb_sshd_block() {
  [[ $permitRootLogin =~ ^(prohibit-password|no)$ ]] || { echo "param permitRootLogin must be prohibit-password or no" >&2; return 2; }
  # First value wins in sshd_config: at the top of the main file, before any Include, these settings win.
  printf '%s\n' '# BEGIN hyprbox ssh-hardening (managed; edits inside this block are replaced)' 'PasswordAuthentication no' \
    'KbdInteractiveAuthentication no' "PermitRootLogin $permitRootLogin" '# END hyprbox ssh-hardening'
}
# sshd -t and -T need the privilege separation directory, which the ssh service creates when it starts.
hb_sshd_privsep() { [ -d /run/sshd ] || install -d -m 755 /run/sshd; }
# The effective configuration (sshd -T): 0 hardened, 1 not, 3 unknown (sshd cannot say).
hb_sshd_effective() {
  local eff root=$permitRootLogin
  command -v sshd > /dev/null || { echo "sshd is not installed" >&2; return 3; }
  hb_sshd_privsep
  eff="$(sshd -T 2>&1)" || { echo "sshd -T failed: $eff" >&2; return 3; }
  [ "$root" != prohibit-password ] || root='(prohibit-password|without-password)'
  grep -qx 'passwordauthentication no' <<< "$eff" || { echo "password authentication is on"; return 1; }
  grep -qx 'kbdinteractiveauthentication no' <<< "$eff" || { echo "keyboard-interactive authentication is on"; return 1; }
  grep -Eqx "permitrootlogin $root" <<< "$eff" || { echo "root login is not $permitRootLogin"; return 1; }
}
# --- Who could still log in with a key once passwords are off ---
# A key counts only if sshd would accept it for an account someone can use: sshd's own effective settings for
# that user (sshd -T -C: AuthorizedKeysFile, AllowUsers/DenyUsers/AllowGroups/DenyGroups, AuthenticationMethods,
# Match blocks), a login shell, an account that has not expired, files StrictModes accepts, and a well-formed key
# of a type sshd takes, without options that confine it (command=, restrict) or tie it to an address we cannot
# check (from=). Counting key-shaped lines locked hosts out: root's key under PermitRootLogin no, a Gitea user's
# forced-command keys, a nologin deploy user, a user outside AllowUsers, a file sshd does not read.
HB_SSH_KEYTYPES='ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com'
# Whether <name> matches one of sshd's patterns (globs; a user@host pattern only when its host part is *).
hb_sshd_pattern() { # <name> <pattern>...
  local n=$1 p
  shift
  for p in "$@"; do
    if [[ $p == *@* ]]; then [ "${p#*@}" = '*' ] || continue; p=${p%%@*}; fi
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ $n == $p ]] && return 0
  done
  return 1
}
# sshd's value(s) of <keyword> in <effective config>, one a line.
hb_sshd_values() { sed -n "s/^$1 //p" <<< "$2" | tr ' ' '\n' | grep . || true; }
# Why <user> (in the effective config <eff>) cannot log in with a key at all; nothing when it can.
hb_sshd_user_refusal() { # <user> <shell> <eff>
  local u=$1 eff=$3 expire groups g ok
  case "${2##*/}" in nologin | false | "") echo "its shell is ${2:-empty}"; return ;; esac
  [ -x "$2" ] || { echo "its shell $2 is not there"; return; }
  if [ "$u" = root ] && [ "$permitRootLogin" = no ]; then echo "root may not log in (permitRootLogin=no)"; return; fi
  expire="$(getent shadow "$u" | cut -d: -f8)"
  if [ -n "$expire" ] && [ "$expire" -le "$(( $(date +%s) / 86400 ))" ]; then echo "the account has expired"; return; fi
  grep -qx 'pubkeyauthentication yes' <<< "$eff" || { echo "PubkeyAuthentication is off for it"; return; }
  grep -qx 'authorizedkeyscommand none' <<< "$eff" || { echo "its keys come from AuthorizedKeysCommand, which this check cannot read"; return; }
  # AuthenticationMethods: some list must be satisfied by a key alone (passwords will be off).
  ok=1
  if ! grep -qx 'authenticationmethods any' <<< "$eff"; then
    ok=0
    while IFS= read -r g; do [[ $g =~ ^publickey(,publickey)*$ ]] && ok=1; done < <(hb_sshd_values authenticationmethods "$eff")
  fi
  [ "$ok" = 1 ] || { echo "AuthenticationMethods needs more than a key for it"; return; }
  mapfile -t ok < <(hb_sshd_values allowusers "$eff")
  if [ "${#ok[@]}" -gt 0 ] && ! hb_sshd_pattern "$u" "${ok[@]}"; then echo "it is not in AllowUsers"; return; fi
  mapfile -t ok < <(hb_sshd_values denyusers "$eff" | sed 's/@.*//')
  if [ "${#ok[@]}" -gt 0 ] && hb_sshd_pattern "$u" "${ok[@]}"; then echo "it is in DenyUsers"; return; fi
  read -ra groups <<< "$(id -Gn "$u" 2> /dev/null)"
  mapfile -t ok < <(hb_sshd_values allowgroups "$eff")
  if [ "${#ok[@]}" -gt 0 ]; then
    for g in "${groups[@]}"; do hb_sshd_pattern "$g" "${ok[@]}" && break; g=; done
    [ -n "${g:-}" ] || { echo "none of its groups is in AllowGroups"; return; }
  fi
  mapfile -t ok < <(hb_sshd_values denygroups "$eff")
  if [ "${#ok[@]}" -gt 0 ]; then
    for g in "${groups[@]}"; do hb_sshd_pattern "$g" "${ok[@]}" && { echo "its group $g is in DenyGroups"; return; }; done
  fi
}
# Why StrictModes would ignore <file> of <user> (owner, or writable by others, up to the home or /).
hb_sshd_file_refusal() { # <user> <home> <file>
  local u=$1 uid d mode owner group
  uid="$(id -u "$u")"
  d="$(realpath -e -- "$3" 2> /dev/null)" || { echo "$3 cannot be resolved"; return; }
  [ -f "$d" ] || { echo "$3 is not a regular file"; return; }
  while :; do
    read -r mode owner group < <(stat -c '%a %u %G' -- "$d")
    [ "$owner" = 0 ] || [ "$owner" = "$uid" ] || { echo "$d belongs to another user (StrictModes)"; return; }
    (( 8#$mode & 8#002 )) && { echo "$d is writable by anyone (StrictModes)"; return; }
    # Debian's sshd lets a group write when the group is the user's own private group.
    (( 8#$mode & 8#020 )) && [ "$group" != "$u" ] && { echo "$d is writable by group $group (StrictModes)"; return; }
    [ "$d" = "$2" ] || [ "$d" = / ] && return
    d="$(dirname -- "$d")"
  done
}
# Usable keys among the authorized_keys lines on stdin: one line each, "type fingerprint"; reasons for the
# others on stderr (never the lines themselves).
hb_sshd_file_keys() { # <accepted algorithms>
  local line key opts type bits hash fp tmp other=0
  tmp="$(mktemp)"
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line =~ (^|[[:space:]])($HB_SSH_KEYTYPES)[[:space:]]+[A-Za-z0-9+/]+=* ]] || { other=$((other + 1)); continue; }
    type=${BASH_REMATCH[2]}
    key=${BASH_REMATCH[0]}
    opts=${line%%"$key"*}
    if [[ $opts =~ (command=|restrict|from=) ]]; then echo "  a key of type $type limited by ${BASH_REMATCH[1]%=}" >&2; continue; fi
    printf '%s\n' "${key#[[:space:]]}" > "$tmp"
    fp="$(ssh-keygen -l -f "$tmp" 2> /dev/null)" || { echo "  a key of type $type that ssh-keygen cannot read" >&2; continue; }
    read -r bits hash _ <<< "$fp"
    case "$type" in
      ssh-rsa) if ! [[ ,$1, =~ ,(rsa-sha2-256|rsa-sha2-512|ssh-rsa), ]] || [ "$bits" -lt 1024 ]; then echo "  an RSA key sshd refuses ($bits bits)" >&2; continue; fi ;;
      *) [[ ,$1, == *",$type,"* ]] || { echo "  a key of type $type, which sshd refuses (PubkeyAcceptedAlgorithms)" >&2; continue; } ;;
    esac
    echo "$type $hash"
  done
  rm -f "$tmp"
  [ "$other" = 0 ] || echo "  $other line(s) that are not keys" >&2
}
# The file as sshd reads it: with the user's own rights (a file only root can read is no key of theirs).
hb_sshd_read_as() { # <user> <file>
  if [ "$1" = root ]; then cat -- "$2"; else runuser -u "$1" -- cat -- "$2"; fi
}
# Prints "user: N key(s) in FILE" for each account with keys sshd would accept, and why other accounts' keys
# do not count (stderr). The number of usable keys is the last line on stdout.
hb_sshd_usable_keys() {
  local user home shell eff why who asked f n total=0 algs lines
  hb_sshd_privsep
  while IFS=: read -r user _ _ _ _ home shell; do
    case "${shell##*/}" in nologin | false | "") continue ;; esac
    eff="$(sshd -T -C "user=$user,host=localhost,addr=127.0.0.1" 2> /dev/null)" || { echo "$user: sshd -T cannot evaluate its settings" >&2; continue; }
    algs="$(sed -n 's/^pubkeyacceptedalgorithms //p' <<< "$eff")"
    asked=0
    for f in $(hb_sshd_values authorizedkeysfile "$eff"); do
      f=${f//%%/$'\x01'}; f=${f//%h/$home}; f=${f//%u/$user}; f=${f//%U/$(id -u "$user")}; f=${f//$'\x01'/%}
      [[ $f == /* ]] || f="$home/$f"
      [ -e "$f" ] || continue
      # Asked once per account, and only of accounts that have a key file (the others need no reason).
      [ "$asked" = 1 ] || { who="$(hb_sshd_user_refusal "$user" "$shell" "$eff")"; asked=1; }
      [ -z "$who" ] || { echo "$user: keys in $f do not count: $who" >&2; continue; }
      why="$(hb_sshd_file_refusal "$user" "$home" "$f")"
      [ -z "$why" ] || { echo "$user: keys in $f do not count: $why" >&2; continue; }
      lines="$(hb_sshd_read_as "$user" "$f" 2> /dev/null)" || { echo "$user: keys in $f do not count: $user cannot read it" >&2; continue; }
      n="$(hb_sshd_file_keys "$algs" <<< "$lines" 2> >(sed "s|^|$user: in $f:|" >&2) | grep -c . || true)"
      [ "$n" -gt 0 ] || continue
      echo "$user: $n usable key(s) in $f"
      total=$((total + n))
    done
  done < <(getent passwd)
  echo "$total"
}
# The loginUsers param (JSON text: an array of user names), one a line; anything else is refused.
hb_sshd_login_users() {
  local u
  for u in $(printf '%s' "${loginUsers:-[]}" | tr -d '[]" \n\r\t' | tr ',' ' '); do
    [[ $u =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || { echo "loginUsers: not a user name: ${u:0:40}" >&2; return 2; }
    printf '%s\n' "$u"
  done
}
# 0 when the managed block is absent or one whole BEGIN..END pair; else the file was hand-edited and
# deleting "the block" could take the rest of the file with it.
hb_sshd_block_intact() {
  local b e
  b="$(grep -n '^# BEGIN hyprbox ssh-hardening' "$HB_SSHD" | cut -d: -f1 | paste -sd' ' || true)"
  e="$(grep -n '^# END hyprbox ssh-hardening' "$HB_SSHD" | cut -d: -f1 | paste -sd' ' || true)"
  [ -z "$b$e" ] && return 0
  [[ $b =~ ^[0-9]+$ && $e =~ ^[0-9]+$ ]] && [ "$b" -lt "$e" ] && return 0
  echo "$HB_SSHD has a damaged hyprbox block (BEGIN lines: ${b:-none}; END lines: ${e:-none}): fix it by hand; nothing changed" >&2
  return 1
}
hb_sshd_reload() {
  case "$(hb_manager)" in
    systemd) systemctl reload-or-restart ssh ;;
    sysvinit) if hb_active ssh; then invoke-rc.d ssh reload; else echo "sshd is not running: it reads the new configuration when it starts"; fi ;;
    *) echo "no service manager: sshd reads the new configuration when it next starts" ;;
  esac
}
# --- end of sshd.sh ---
