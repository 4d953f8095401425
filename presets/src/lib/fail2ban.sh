# shellcheck shell=bash
# --- hyprbox: fail2ban (presets/src/lib/fail2ban.sh); params sshPort, maxRetry, banTime, findTime, ignoreIp ---
# Include ufw.sh before this file: it holds hb_port, hb_json_list and hb_ssh_ports (sshd's effective ports).
# shellcheck disable=SC2034 # not every step uses every constant
HB_F2B_JAIL=/etc/fail2ban/jail.d/hyprbox.local
# One ignoreIp entry: an IPv4 or IPv6 address (hex and colons), optionally /prefix, and nothing else: fail2ban
# would resolve anything else as a host name. The params schema has the same pattern.
hb_f2b_ip() { # <entry>
  local o='(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])' h='[0-9a-fA-F]{1,4}' v4 v6
  v4="^($o\\.){3}$o(/(3[0-2]|[12]?[0-9]))?\$"
  v6="($h:){7}$h|($h:){1,7}:|($h:){1,6}:$h|($h:){1,5}(:$h){1,2}|($h:){1,4}(:$h){1,3}|($h:){1,3}(:$h){1,4}|($h:){1,2}(:$h){1,5}|$h:(:$h){1,6}|:((:$h){1,7}|:)"
  v6="^($v6)(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?\$"
  [[ $1 =~ $v4 || $1 =~ $v6 ]]
}
# The addresses fail2ban never bans: loopback, and ignoreIp (the operator's office, a bastion, the controller).
hb_f2b_ignore() {
  local list ip out='127.0.0.1/8 ::1'
  list="$(hb_json_list ignoreIp "${ignoreIp:-[]}")" || return 2
  [ -z "$list" ] || [ "$(wc -l <<< "$list")" -le 64 ] || { echo "ignoreIp: more than 64 entries" >&2; return 2; }
  while IFS= read -r ip; do
    [ -n "$list" ] || break
    hb_f2b_ip "$ip" || { echo "ignoreIp: not an IPv4/IPv6 address or CIDR: $ip" >&2; return 2; }
    out+=" $ip"
  done <<< "$list"
  printf '%s\n' "$out"
}
# The ports the jail guards: sshPort and every port sshd is configured for (attackers on a port the jail does
# not list are never banned). When sshd cannot say, sshPort alone: a jail that knows too few ports bans less
# but locks nobody out, so unlike the firewall this is no reason to refuse.
hb_f2b_ports() {
  local more
  hb_port sshPort "$sshPort" || return 2
  more="$(hb_ssh_ports)" || echo "fail2ban: so the sshd jail guards port $sshPort only" >&2
  { echo "$sshPort"; printf '%s\n' "$more"; } | awk 'NF && !seen[$0]++' | paste -sd ,
}
# The sshd jail this preset keeps. With systemd it reads the journal; elsewhere /var/log/auth.log.
hb_f2b_conf() {
  local ports ignore
  hb_int maxRetry "$maxRetry" && hb_int banTime "$banTime" && hb_int findTime "$findTime" || return 2
  ports="$(hb_f2b_ports)" || return 2
  ignore="$(hb_f2b_ignore)" || return 2
  printf '%s\n' '# Managed by HyprBox (fail2ban / server-light presets); local edits are replaced.' '[sshd]' 'enabled = true' \
    "port = $ports" "maxretry = $maxRetry" "bantime = $banTime" "findtime = $findTime" "ignoreip = $ignore"
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
# Whether fail2ban starts at boot.
hb_f2b_enabled() {
  case "$(hb_manager)" in
    systemd) systemctl is-enabled --quiet fail2ban 2> /dev/null ;;
    *) compgen -G '/etc/rc[2345].d/S*fail2ban' > /dev/null ;;
  esac
}
# Whether fail2ban ran and started at boot before this run (`<running> <enabled>`): the rollback puts both back,
# so a fail2ban this run installed or started does not stay running.
hb_f2b_save_state() { # <backup dir>
  local running=no enabled=no
  if hb_active fail2ban; then running=yes; fi
  if hb_f2b_enabled; then enabled=yes; fi
  echo "$running $enabled" > "$1/fail2ban.state"
}
hb_f2b_apply() { # <backup dir>
  local conf
  conf="$(hb_f2b_conf)"
  hb_f2b_save_state "$1"
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
# Stops fail2ban through the service manager (when it runs).
hb_f2b_stop() {
  hb_active fail2ban || return 0
  case "$(hb_manager)" in
    systemd) systemctl stop fail2ban ;;
    *) invoke-rc.d fail2ban stop ;;
  esac
}
# Starting at boot on or off, as it was.
hb_f2b_boot() { # enable | disable
  case "$(hb_manager)" in
    systemd) systemctl "$1" --quiet fail2ban ;;
    *) update-rc.d fail2ban "$1" > /dev/null ;;
  esac
}
hb_f2b_rollback() { # <backup dir>
  local running enabled
  hb_restore "$HB_F2B_JAIL" "$1"
  # A backup made before the service state was recorded: restart, as the rollback did then.
  [ -f "$1/fail2ban.state" ] || { hb_service fail2ban restart; return; }
  read -r running enabled < "$1/fail2ban.state"
  if [ "$running" = yes ]; then hb_service fail2ban restart; else hb_f2b_stop; echo "fail2ban: stopped (it was not running before the last run)"; fi
  if [ "$enabled" = yes ]; then hb_f2b_boot enable; else hb_f2b_boot disable; echo "fail2ban: no longer started at boot (as before the last run)"; fi
}
# --- end of fail2ban.sh ---
