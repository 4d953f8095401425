# shellcheck shell=bash
# --- hyprbox: certbot certificates (presets/src/lib/certbot.sh); params days, certName ---
hb_tls_params() {
  hb_int days "$days" || return 2
  [[ $certName =~ ^([A-Za-z0-9][A-Za-z0-9._-]{0,254})?$ ]] || { echo "param certName is not a certificate name" >&2; return 2; }
}
# Names of certbot's certificates (live/<name>/cert.pem) expiring within `days` (unreadable ones count).
hb_tls_expiring() {
  local dir name
  for dir in /etc/letsencrypt/live/*/; do
    [ -f "$dir/cert.pem" ] || continue
    name="$(basename "$dir")"
    [ -z "$certName" ] || [ "$name" = "$certName" ] || continue
    openssl x509 -checkend $((days * 86400)) -noout -in "$dir/cert.pem" > /dev/null 2>&1 || printf '%s\n' "$name"
  done
}
# --- end of certbot.sh ---
