# shellcheck shell=bash
# --- hyprbox: unattended-upgrades (presets/src/lib/unattended.sh); param autoReboot ---
# shellcheck disable=SC2034 # not every step uses every constant
HB_UU_PERIODIC=/etc/apt/apt.conf.d/20auto-upgrades
# shellcheck disable=SC2034 # not every step uses every constant
HB_UU_REBOOT=/etc/apt/apt.conf.d/52hyprbox-unattended-upgrades
hb_uu_periodic() { printf '%s\n' 'APT::Periodic::Update-Package-Lists "1";' 'APT::Periodic::Unattended-Upgrade "1";'; }
hb_uu_reboot() {
  [[ $autoReboot =~ ^(true|false)$ ]] || { echo "param autoReboot must be true or false" >&2; return 2; }
  printf '// Managed by HyprBox (unattended-upgrades / server-light presets).\nUnattended-Upgrade::Automatic-Reboot "%s";\n' "$autoReboot"
}
# Without systemd's apt timers, Debian runs the daily apt job from cron (/etc/cron.daily/apt-compat).
hb_uu_scheduler() { if [ "$(hb_manager)" = systemd ]; then echo apt-daily-upgrade.timer; else echo cron; fi; }
hb_uu_check() { # 0 compliant, 1 drifted, 3 unknown
  local reboot dump rc=0
  reboot="$(hb_uu_reboot)" || return 3
  hb_installed unattended-upgrades || { echo "unattended-upgrades is not installed"; return 1; }
  hb_uu_periodic | hb_same "$HB_UU_PERIODIC" || { echo "$HB_UU_PERIODIC differs"; return 1; }
  hb_same "$HB_UU_REBOOT" <<< "$reboot" || { echo "$HB_UU_REBOOT differs"; return 1; }
  # The effective setting: a later apt.conf.d file could turn it off again.
  dump="$(apt-config dump)" || return 3
  grep -qxF 'APT::Periodic::Unattended-Upgrade "1";' <<< "$dump" || { echo "apt's effective configuration turns unattended upgrades off"; return 1; }
  hb_active "$(hb_uu_scheduler)" || rc=$?
  case $rc in 0) ;; 1) echo "$(hb_uu_scheduler) is not running"; return 1 ;; *) echo "unattended-upgrades: no service manager to ask" >&2; return 3 ;; esac
}
hb_uu_apply() { # <backup dir>
  local reboot
  reboot="$(hb_uu_reboot)"
  hb_install unattended-upgrades
  if [ "$(hb_manager)" != systemd ]; then hb_install cron; fi
  hb_uu_periodic | hb_put "$HB_UU_PERIODIC" 644 "$1"
  hb_put "$HB_UU_REBOOT" 644 "$1" <<< "$reboot"
  hb_ensure_running "$(hb_uu_scheduler)" 0
}
hb_uu_verify() {
  local dump
  dump="$(apt-config dump)"
  grep -qxF 'APT::Periodic::Unattended-Upgrade "1";' <<< "$dump" || { echo "unattended upgrades are not on in apt's configuration" >&2; return 1; }
  unattended-upgrade --help > /dev/null || { echo "unattended-upgrade does not run" >&2; return 1; }
  hb_active "$(hb_uu_scheduler)" || { echo "$(hb_uu_scheduler) is not running" >&2; return 1; }
}
hb_uu_rollback() { # <backup dir>
  hb_restore "$HB_UU_PERIODIC" "$1"
  hb_restore "$HB_UU_REBOOT" "$1"
}
# --- end of unattended.sh ---
