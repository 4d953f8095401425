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
# Public keys anyone could log in with (root's and each home's authorized_keys).
hb_sshd_keys() {
  cat /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys 2> /dev/null | grep -cE '^[^#]*(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp[0-9]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+' || true
}
hb_sshd_reload() {
  case "$(hb_manager)" in
    systemd) systemctl reload-or-restart ssh ;;
    sysvinit) if hb_active ssh; then invoke-rc.d ssh reload; else echo "sshd is not running: it reads the new configuration when it starts"; fi ;;
    *) echo "no service manager: sshd reads the new configuration when it next starts" ;;
  esac
}
# --- end of sshd.sh ---
