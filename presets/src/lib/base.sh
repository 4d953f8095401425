# shellcheck shell=bash
# --- hyprbox: files, backups, packages and services (presets/src/lib/base.sh) ---
# Backups: one directory per run under /var/backups/hyprbox/<preset>/, root's only, with `last` pointing at
# the newest, so a rollback undoes exactly what this run's apply changed (nothing, after a no-op run).
hb_backup_dir() { # <preset>
  local top="/var/backups/hyprbox/$1" d
  d="$top/$(date -u +%Y%m%dT%H%M%SZ)-$$"
  mkdir -p "$d"
  chmod 700 /var/backups/hyprbox "$top" "$d"
  find "$top" -mindepth 1 -maxdepth 1 -type d -empty ! -path "$d" -delete
  ln -sfn "$d" "$top/last"
  printf '%s\n' "$d"
}
hb_key() { printf '%s' "$1" | sha256sum | cut -c1-16; }
# Records a file's state before a change: a copy, or a marker saying there was none.
hb_save() { # <path> <backup dir>
  local key
  key="$(hb_key "$1")"
  rm -f "$2/$key.bak" "$2/$key.absent"
  if [ -e "$1" ]; then cp -p -- "$1" "$2/$key.bak"; else : > "$2/$key.absent"; fi
}
hb_restore() { # <path> <backup dir>
  local key
  key="$(hb_key "$1")"
  if [ -f "$2/$key.bak" ]; then cp -p -- "$2/$key.bak" "$1"; echo "restored $1"
  elif [ -f "$2/$key.absent" ]; then rm -f -- "$1"; echo "removed $1 (there was none before)"
  else echo "$1: not changed by the last run"; fi
}
# Puts stdin at <path> with <mode> when it differs (backing the old file up first; readers see the old file
# or the new one, never half of one). Sets hb_changed=1 when it wrote.
hb_changed=0
# shellcheck disable=SC2034 # hb_changed is read by the steps that call hb_put
hb_put() { # <path> <mode> <backup dir>
  local tmp
  mkdir -p "$(dirname "$1")"
  tmp="$(mktemp "$(dirname "$1")/.hyprbox.XXXXXX")"
  cat > "$tmp"
  if [ -f "$1" ] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 0; fi
  hb_save "$1" "$3"
  chmod "$2" "$tmp"
  mv -f "$tmp" "$1"
  hb_changed=1
  echo "wrote $1"
}
# Whether stdin equals the file at <path>.
hb_same() { [ -f "$1" ] && cmp -s - "$1"; }
hb_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
# Installs the packages that are missing (the host needs a reachable mirror for that).
hb_install() { # <package>...
  local todo=() p
  for p in "$@"; do hb_installed "$p" || todo+=("$p"); done
  [ ${#todo[@]} -gt 0 ] || return 0
  echo "installing ${todo[*]}"
  set -- -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
  DEBIAN_FRONTEND=noninteractive apt-get install "$@" "${todo[@]}" ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install "$@" "${todo[@]}"; }
}
# The service manager: systemd when it runs (sd_booted), sysvinit when its control FIFO exists, else none.
hb_manager() {
  if [ -d /run/systemd/system ]; then echo systemd
  elif [ -p /run/initctl ]; then echo sysvinit
  else echo none; fi
}
# Enables a service and runs <action> (start or restart) through the manager; fails where there is none.
hb_service() { # <name> <action>
  case "$(hb_manager)" in
    systemd) systemctl enable --quiet "$1" && systemctl "$2" "$1" ;;
    sysvinit) update-rc.d "$1" defaults >/dev/null && update-rc.d "$1" enable >/dev/null && invoke-rc.d "$1" "$2" ;;
    *) echo "no service manager on this host: cannot $2 $1" >&2; return 1 ;;
  esac
}
# 0 running, 1 not running, 3 nobody to ask (unknown, never "down").
hb_active() { # <name>
  local rc=0
  case "$(hb_manager)" in
    systemd) systemctl is-active --quiet "$1" || return 1 ;;
    sysvinit) service "$1" status >/dev/null 2>&1 || rc=$?; case "$rc" in 0) ;; 1 | 2 | 3) return 1 ;; *) return 3 ;; esac ;;
    *) return 3 ;;
  esac
}
# Starts (or after a change restarts) a service unless it already runs unchanged.
hb_ensure_running() { # <name> <changed: 0|1>
  local rc=0
  hb_active "$1" || rc=$?
  if [ "$2" = 1 ] && [ "$rc" = 0 ]; then hb_service "$1" restart
  elif [ "$rc" != 0 ]; then hb_service "$1" start
  else echo "$1 already running"; fi
}
# Preset steps that need a daemon kept running refuse hosts with no service manager, before changing anything.
hb_need_manager() {
  [ "$(hb_manager)" != none ] || { echo "no service manager (systemd or sysvinit) on this host: nothing would keep the service running" >&2; exit 1; }
}
# A number param, checked again here: scripts never trust their environment.
hb_int() { # <name> <value>
  [[ $2 =~ ^[0-9]{1,9}$ ]] || { echo "param $1 must be a whole number (got: $2)" >&2; return 2; }
}
# --- end of base.sh ---
