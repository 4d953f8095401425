# shellcheck shell=bash
# --- hyprbox: fail2ban (presets/src/lib/fail2ban.sh); params sshPort, maxRetry, banTime, findTime ---
# shellcheck disable=SC2034 # not every step uses every constant
HB_F2B_JAIL=/etc/fail2ban/jail.d/hyprbox.local
# The sshd jail this preset keeps. With systemd it reads the journal; elsewhere /var/log/auth.log.
hb_f2b_conf() {
  hb_int sshPort "$sshPort" && hb_int maxRetry "$maxRetry" && hb_int banTime "$banTime" && hb_int findTime "$findTime" || return 2
  printf '%s\n' '# Managed by HyprBox (fail2ban / server-light presets); local edits are replaced.' '[sshd]' 'enabled = true' \
    "port = $sshPort" "maxretry = $maxRetry" "bantime = $banTime" "findtime = $findTime"
  if [ "$(hb_manager)" = systemd ]; then echo 'backend = systemd'; else printf '%s\n' 'backend = auto' 'logpath = /var/log/auth.log'; fi
}
hb_f2b_check() { # 0 compliant, 1 drifted, 3 unknown
  local conf rc=0
  conf="$(hb_f2b_conf)" || return 3
  hb_installed fail2ban || { echo "fail2ban is not installed"; return 1; }
  hb_same "$HB_F2B_JAIL" <<< "$conf" || { echo "$HB_F2B_JAIL differs"; return 1; }
  hb_active fail2ban || rc=$?
  case $rc in 0) ;; 1) echo "fail2ban is not running"; return 1 ;; *) echo "fail2ban: no service manager to ask" >&2; return 3 ;; esac
}
hb_f2b_apply() { # <backup dir>
  local conf
  conf="$(hb_f2b_conf)"
  hb_install fail2ban
  if [ "$(hb_manager)" = systemd ]; then hb_install python3-systemd; fi
  # The jail refuses to start when its log file is missing (no syslog daemon has written one yet).
  if [ "$(hb_manager)" != systemd ] && [ ! -e /var/log/auth.log ]; then install -m 640 -g adm /dev/null /var/log/auth.log; fi
  hb_changed=0
  hb_put "$HB_F2B_JAIL" 644 "$1" <<< "$conf"
  fail2ban-client -t > /dev/null || { fail2ban-client -t; return 1; }
  hb_ensure_running fail2ban "$hb_changed"
}
hb_f2b_verify() {
  local i
  fail2ban-client -t > /dev/null || { fail2ban-client -t; return 1; }
  for i in $(seq 1 30); do
    if fail2ban-client status sshd > /dev/null 2>&1; then echo "fail2ban: the sshd jail is up"; return 0; fi
    [ "$i" = 30 ] || sleep 1
  done
  echo "fail2ban does not answer (fail2ban-client status sshd)" >&2
  return 1
}
hb_f2b_rollback() { # <backup dir>
  hb_restore "$HB_F2B_JAIL" "$1"
  hb_service fail2ban restart
}
# --- end of fail2ban.sh ---
