# shellcheck shell=bash
# --- hyprbox: restic (presets/src/lib/restic.sh); params repository, passwordRef ---
# shellcheck disable=SC2034 # not every step uses every constant
HB_RESTIC_TAG=hyprbox-postgres-backup
# The repository and the password file, checked; the password is a reference (file:/path), never the value.
hb_restic_env() {
  [[ $repository =~ ^(/[A-Za-z0-9._/-]+|(sftp|rest|s3|b2|gs|azure|swift):[A-Za-z0-9._/:@+-]+)$ ]] || { echo "param repository is not a restic repository path or URL" >&2; return 2; }
  case $passwordRef in
    file:/*) RESTIC_PASSWORD_FILE=${passwordRef#file:} ;;
    env:*) echo "passwordRef: a scheduled backup reads its password at every run: give file:/path, not env:NAME" >&2; return 2 ;;
    *) echo "passwordRef must be a reference (file:/path)" >&2; return 2 ;;
  esac
  [ -r "$RESTIC_PASSWORD_FILE" ] || { echo "the password file $RESTIC_PASSWORD_FILE is not readable" >&2; return 2; }
  export RESTIC_REPOSITORY=$repository RESTIC_PASSWORD_FILE RESTIC_CACHE_DIR=/var/cache/hyprbox/restic
}
# Epoch seconds of the newest snapshot with <tag>; nothing when there is none; fails when restic cannot say.
hb_restic_newest() { # <tag>
  local json t
  json="$(restic snapshots --no-lock --json --tag "$1")" || return 1
  grep -o '"time":"[^"]*"' <<< "$json" | cut -d'"' -f4 | while IFS= read -r t; do date -d "$t" +%s; done | sort -n | tail -n 1
}
# Whether the repository exists: 0 yes, 1 no (a local path without a config), 3 cannot tell (remote, unreachable).
hb_restic_exists() {
  restic cat config > /dev/null 2>&1 && return 0
  if [[ $RESTIC_REPOSITORY == /* ]] && [ ! -e "$RESTIC_REPOSITORY/config" ]; then return 1; fi
  return 3
}
# --- end of restic.sh ---
