# shellcheck shell=bash
# --- hyprbox: pending security updates (presets/src/lib/apt-security.sh) ---
hb_lists_present() { compgen -G '/var/lib/apt/lists/*_Packages*' > /dev/null; }
# How many upgradable packages come from a -security suite (apt list --upgradable: "name/suite,... version ...").
hb_security_pending() {
  local out
  out="$(apt list --upgradable 2> /dev/null)" || return 1
  grep -cE '^[^/]+/[^ ]*-security' <<< "$out" || true
}
# --- end of apt-security.sh ---
