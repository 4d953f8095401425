# shellcheck shell=bash
# --- hyprbox: restore-drill record (presets/src/lib/drill.sh); params repository, intervalHours ---
hb_drill_record() { printf '/var/lib/hyprbox/restore-drill/%s\n' "$(hb_key "$repository")"; }
# Whether a drill is due: no record of a successful one, or one older than intervalHours.
hb_drill_due() {
  local f at
  f="$(hb_drill_record)"
  [ -f "$f" ] || return 0
  read -r at _ < "$f" || return 0
  [[ $at =~ ^[0-9]+$ ]] || return 0
  [ $(( $(date +%s) - at )) -ge $(( intervalHours * 3600 )) ]
}
# --- end of drill.sh ---
