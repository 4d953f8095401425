# shellcheck shell=bash
# --- hyprbox: postgres-backup files (presets/src/lib/pgbackup.sh); params repository, passwordRef, database, pgUser, schedule ---
# shellcheck disable=SC2034 # not every step uses every constant
HB_PG_CONF=/etc/hyprbox/postgres-backup
# shellcheck disable=SC2034 # not every step uses every constant
HB_PG_RUNNER=/usr/local/sbin/hyprbox-postgres-backup
# shellcheck disable=SC2034 # not every step uses every constant
HB_PG_CRON=/etc/cron.d/hyprbox-postgres-backup
# shellcheck disable=SC2034 # not every step uses every constant
HB_PG_UNIT=/etc/systemd/system/hyprbox-postgres-backup
hb_pg_params() {
  hb_restic_env || return 2
  [[ $database =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] || { echo "param database is not a database name" >&2; return 2; }
  [[ $pgUser =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || { echo "param pgUser is not a user name" >&2; return 2; }
  [[ $schedule =~ ^(hourly|daily|weekly)$ ]] || { echo "param schedule must be hourly, daily or weekly" >&2; return 2; }
}
# The program the timer runs. Its settings are data files (one value each), read, never sourced.
hb_pg_runner() {
  cat << 'RUNNER'
#!/bin/bash
# Installed by the HyprBox postgres-backup preset: one dump of PostgreSQL into restic.
set -euo pipefail
conf=/etc/hyprbox/postgres-backup
for k in repository password-file database pg-user; do [ -r "$conf/$k" ] || { echo "missing $conf/$k" >&2; exit 1; }; done
IFS= read -r repository < "$conf/repository"
IFS= read -r passwordFile < "$conf/password-file"
IFS= read -r database < "$conf/database"
IFS= read -r pgUser < "$conf/pg-user"
export RESTIC_REPOSITORY="$repository" RESTIC_PASSWORD_FILE="$passwordFile" RESTIC_CACHE_DIR=/var/cache/hyprbox/restic
mkdir -p /run/lock
exec 9> /run/lock/hyprbox-postgres-backup.lock
flock -n 9 || { echo "another backup is running" >&2; exit 75; }
restic cat config > /dev/null 2>&1 || restic init
# Dump to a private file first: a failed dump must never become a snapshot.
tmp="$(mktemp -d /var/tmp/hyprbox-pgdump.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
if [ "$database" = all ]; then
  runuser -u "$pgUser" -- pg_dumpall > "$tmp/dump.sql"
else
  runuser -u "$pgUser" -- pg_dump --clean --if-exists --dbname="$database" > "$tmp/dump.sql"
fi
restic backup --quiet --tag hyprbox-postgres-backup --stdin --stdin-filename "postgres-$database.sql" < "$tmp/dump.sql"
echo "hyprbox-postgres-backup: $database saved to $repository"
RUNNER
}
hb_pg_cron() {
  local when
  case $schedule in hourly) when='17 * * * *' ;; daily) when='17 3 * * *' ;; *) when='17 3 * * 0' ;; esac
  printf '%s\n' '# Managed by HyprBox (postgres-backup preset).' 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$when root $HB_PG_RUNNER >> /var/log/hyprbox-postgres-backup.log 2>&1"
}
hb_pg_service() { printf '%s\n' '[Unit]' 'Description=HyprBox postgres-backup: PostgreSQL dump into restic' '[Service]' 'Type=oneshot' "ExecStart=$HB_PG_RUNNER"; }
hb_pg_timer() {
  printf '%s\n' '[Unit]' 'Description=HyprBox postgres-backup schedule' '[Timer]' "OnCalendar=$schedule" 'Persistent=true' \
    'RandomizedDelaySec=15m' '[Install]' 'WantedBy=timers.target'
}
# Each settings file with its wanted content: "<path> <content>" pairs fed to a callback.
hb_pg_files() { # <callback path content>
  "$1" "$HB_PG_CONF/repository" "$repository"
  "$1" "$HB_PG_CONF/password-file" "$RESTIC_PASSWORD_FILE"
  "$1" "$HB_PG_CONF/database" "$database"
  "$1" "$HB_PG_CONF/pg-user" "$pgUser"
  "$1" "$HB_PG_RUNNER" "$(hb_pg_runner)"
  if [ "$(hb_manager)" = systemd ]; then
    "$1" "$HB_PG_UNIT.service" "$(hb_pg_service)"
    "$1" "$HB_PG_UNIT.timer" "$(hb_pg_timer)"
  else
    "$1" "$HB_PG_CRON" "$(hb_pg_cron)"
  fi
}
hb_pg_same() { hb_same "$1" <<< "$2" || { echo "$1 differs"; return 1; }; }
# The scheduler that fires the backup: systemd's timer, or the cron daemon.
hb_pg_scheduler() { if [ "$(hb_manager)" = systemd ]; then echo hyprbox-postgres-backup.timer; else echo cron; fi; }
# --- end of pgbackup.sh ---
