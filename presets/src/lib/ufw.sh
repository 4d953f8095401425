# shellcheck shell=bash
# --- hyprbox: ufw (presets/src/lib/ufw.sh); params sshPort, allow ---
# Needs ports.sh (hb_port, hb_json_list, hb_ssh_ports), which the fail2ban preset shares.
# The ports the firewall keeps open for SSH: sshPort, and every port sshd is configured for (a firewall that
# knew only sshPort locked out every host whose sshd listens elsewhere).
hb_ufw_ssh_ports() {
  local more
  hb_port sshPort "$sshPort" || return 2
  more="$(hb_ssh_ports)" || return 1
  { echo "$sshPort"; printf '%s\n' "$more"; } | awk 'NF && !seen[$0]++'
}
# The allow list, one rule a line, each checked as ufw will: a port 1-65535, or first:last with first < last
# (ufw refuses anything else, and would do so half-way through apply).
hb_ufw_allow() {
  local list item a b
  list="$(hb_json_list allow "${allow:-[]}")" || return 2
  [ -n "$list" ] || return 0
  [ "$(wc -l <<< "$list")" -le 64 ] || { echo "allow: more than 64 entries" >&2; return 2; }
  while IFS= read -r item; do
    [[ $item =~ ^([0-9]{1,5})(:([0-9]{1,5}))?/(tcp|udp)$ ]] || { echo "allow: not a port/protocol: $item" >&2; return 2; }
    a=${BASH_REMATCH[1]} b=${BASH_REMATCH[3]}
    if ! hb_port allow "$a" 2> /dev/null || { [ -n "$b" ] && ! { hb_port allow "$b" 2> /dev/null && [ "$a" -lt "$b" ]; }; }; then
      echo "allow: $item is out of range (ports 1-65535 without leading zeros; first:last needs first < last)" >&2; return 2
    fi
    printf '%s\n' "$item"
  done <<< "$list"
}
# What the firewall must hold: `ssh <port>` for each SSH port, first, then `allow <port/proto>` for each entry of
# the allow list (an entry that is an SSH port's /tcp is that SSH rule, so a restricted one stays restricted).
hb_ufw_rules() {
  local ports list p r
  list="$(hb_ufw_allow)" || return $?
  ports="$(hb_ufw_ssh_ports)" || return $?
  for p in $ports; do echo "ssh $p"; done
  while IFS= read -r r; do
    [ -n "$r" ] || continue
    grep -qxF "${r%/tcp}" <<< "$ports" || echo "allow $r"
  done <<< "$list"
}
# How one family's rules file treats incoming TCP to <port>: the first rule that decides is an allow (`open`
# from anywhere, or `restricted` by source, destination or interface, naming the port) or a deny/reject/limit
# for every source (`blocked`); `missing` when none does. Denies for some sources, and restricted allows for
# every port (`allow in on lo`), decide nothing about SSH. ufw's tuples are read rather than `ufw show added`,
# which hides the IPv6 order (an inserted allow can land after an IPv6 deny).
hb_ufw_family_state() { # <port> <user.rules or user6.rules>
  awk -v p="$1" '
    function covers(spec,   n, i, a, r) {
      if (spec == "any") return 1
      n = split(spec, a, ",")
      for (i = 1; i <= n; i++) if (split(a[i], r, ":") == 2) { if (p >= r[1] + 0 && p <= r[2] + 0) return 1 } else if (a[i] + 0 == p) return 1
      return 0
    }
    function anywhere(a) { return a == "0.0.0.0/0" || a == "::/0" }
    BEGIN { p += 0 }
    $1 == "###" && $2 == "tuple" {
      act = $4; sub(/_log(-all)?$/, "", act); dir = $NF; if (dir ~ /^comment=/) dir = $(NF - 1)
      if (act !~ /^(allow|deny|reject|limit)$/ || dir !~ /^in(_|$)/ || ($5 != "tcp" && $5 != "any") || !covers($6)) next
      if (act == "allow") {
        where = (anywhere($9) ? "" : " from " $9) (anywhere($7) ? "" : " to " $7) ($8 == "any" ? "" : " from port " $8) (dir == "in" ? "" : " on " substr(dir, 4))
        if (where != "" && $6 == "any") next
        print (where == "" ? "open" : "restricted:" where); decided = 1; exit
      }
      if (anywhere($9) && $8 == "any") { print "blocked: " act " " $6 ($5 == "any" ? "" : "/" $5) (anywhere($7) ? "" : " to " $7) (dir == "in" ? "" : " on " substr(dir, 4)); decided = 1; exit }
    }
    END { if (!decided) print "missing" }' "$2"
}
# Both families together (IPv6 only when ufw manages it): restricted if either is (the operator limited SSH on
# purpose; a family it leaves blocked is part of that), else blocked if either is, open when both are, else
# missing.
hb_ufw_ssh_state() { # <port>
  local files=(/etc/ufw/user.rules) f states=""
  if grep -Eqs '^IPV6="?yes"?$' /etc/default/ufw; then files+=(/etc/ufw/user6.rules); fi
  for f in "${files[@]}"; do
    if [ -f "$f" ]; then states+="$(hb_ufw_family_state "$1" "$f")"$'\n'; else states+=$'missing\n'; fi
  done
  grep -m1 '^restricted' <<< "$states" || grep -m1 '^blocked' <<< "$states" || {
    if grep -qv '^open$' <<< "${states%$'\n'}"; then echo missing; else echo open; fi
  }
}
# An SSH port's verdict: 0 when incoming TCP to it is allowed before anything blocks it; else says why.
hb_ufw_ssh_ok() { # <port>
  local state
  state="$(hb_ufw_ssh_state "$1")"
  case $state in
    open | restricted*) return 0 ;;
    blocked*) echo "ufw: a rule (${state#blocked: }) comes before any allow for SSH port $1/tcp" ;;
    *) echo "ufw does not allow SSH port $1/tcp" ;;
  esac
  return 1
}
# 0 compliant (active, deny incoming, every SSH port allowed first, every rule added), 1 drifted, 3 unknown.
hb_ufw_check() {
  local rules status added kind r
  rules="$(hb_ufw_rules)" || return 3
  command -v ufw > /dev/null || { echo "ufw is not installed"; return 1; }
  status="$(ufw status verbose 2>&1)" || { echo "ufw status failed: $status" >&2; return 3; }
  grep -q '^Status: active' <<< "$status" || { echo "ufw is inactive"; return 1; }
  grep -q '^Default: deny (incoming), allow (outgoing)' <<< "$status" || { echo "ufw defaults are not deny incoming / allow outgoing"; return 1; }
  added="$(ufw show added 2>&1)" || return 3
  while read -r kind r; do
    case $kind in
      ssh) hb_ufw_ssh_ok "$r" || return 1 ;;
      allow) grep -qxF "ufw allow $r" <<< "$added" || { echo "ufw does not allow $r"; return 1; } ;;
    esac
  done <<< "$rules"
}
# Whether an exact `<action> <port>/tcp` rule from anywhere exists (ufw will not insert a rule beside it).
hb_ufw_has() { # <action> <port>
  grep -Eqs "^### tuple ### $1 tcp $2 (0\.0\.0\.0/0|::/0) any (0\.0\.0\.0/0|::/0) in( comment=.*)?$" /etc/ufw/user.rules /etc/ufw/user6.rules
}
# `allow <port>/tcp` as the first rule of both families (`ufw insert 1` puts only the IPv4 one first). ufw skips
# a prepend whose match already exists with any action, so such a rule is removed first.
hb_ufw_first() { # <port>
  local act
  for act in allow deny reject limit; do if hb_ufw_has "$act" "$1"; then ufw delete "$act" "$1/tcp" > /dev/null; fi; done
  ufw prepend allow "$1/tcp" > /dev/null
}
# Allows incoming TCP to SSH port <port> ahead of anything that blocks it. An allow limited to some sources is
# kept when ufw already enforces it (opening it to anywhere would undo the restriction); while ufw is inactive
# it is not in force, and the port is opened to anywhere first, so enabling ufw cannot lock anyone out.
hb_ufw_open_ssh() { # <port> <ufw was active: yes|no>
  local p=$1 state
  state="$(hb_ufw_ssh_state "$p")"
  case $state in
    open) echo "ufw: SSH port $p/tcp already allowed" ;;
    restricted*)
      if [ "$2" = yes ]; then echo "ufw: SSH port $p/tcp is allowed only${state#restricted:} (an existing rule): kept as it is, not opened to anywhere"; return 0; fi
      hb_ufw_first "$p"
      echo "ufw: the rule allowing SSH port $p/tcp only${state#restricted:} was not in force (ufw was inactive): allow $p/tcp from anywhere first, so enabling ufw locks nobody out" ;;
    missing) ufw allow "$p/tcp" > /dev/null; echo "ufw: allow $p/tcp (SSH)" ;;
    *) hb_ufw_first "$p"; echo "ufw: allow $p/tcp (SSH) put first: a rule before it (${state#blocked: }) would have blocked SSH" ;;
  esac
}
# Before changing anything: ufw's rules, its defaults file (`ufw default` writes there) and whether it was active.
hb_ufw_save() { # <backup dir>
  tar -C /etc -cf "$1/ufw-etc.tar" ufw default/ufw
  if grep -q '^Status: active' <<< "$(ufw status)"; then echo active; else echo inactive; fi > "$1/ufw.state"
}
# A failed apply puts the saved firewall back before exiting: default deny without the allow rules must not stay.
hb_ufw_bak=""
hb_ufw_abort() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ] && [ -n "$hb_ufw_bak" ]; then
    echo "ufw: apply failed (exit $rc): putting the firewall back as it was before this run" >&2
    hb_ufw_rollback "$hb_ufw_bak" >&2
  fi
  exit "$rc"
}
hb_ufw_apply() { # <backup dir>
  local rules kind r rc=0 was=no
  rules="$(hb_ufw_rules)"
  hb_install ufw
  hb_ufw_check > /dev/null || rc=$?
  if [ "$rc" = 0 ]; then
    echo "ufw: already active with the allow list"
    while read -r kind r; do if [ "$kind" = ssh ]; then hb_ufw_open_ssh "$r" yes; fi; done <<< "$rules"
    return 0
  fi
  hb_ufw_save "$1"
  if [ "$(cat "$1/ufw.state")" = active ]; then was=yes; fi
  hb_ufw_bak=$1
  trap hb_ufw_abort EXIT
  # The SSH ports first, then the allow list, and the default policy only after them: SSH is never closed.
  while read -r kind r; do
    if [ "$kind" = ssh ]; then hb_ufw_open_ssh "$r" "$was"; else ufw allow "$r" > /dev/null; echo "ufw: allow $r"; fi
  done <<< "$rules"
  while read -r kind r; do
    if [ "$kind" = ssh ]; then hb_ufw_ssh_ok "$r" >&2 || { echo "ufw: refusing to deny incoming while SSH port $r/tcp is blocked" >&2; return 1; }; fi
  done <<< "$rules"
  ufw default deny incoming > /dev/null
  ufw default allow outgoing > /dev/null
  ufw --force enable
  trap - EXIT
  hb_ufw_bak=""
}
# The saved files, and the running firewall made to match them (`ufw enable` alone keeps an active firewall's
# running rules: reload).
hb_ufw_rollback() { # <backup dir>
  [ -f "$1/ufw-etc.tar" ] || { echo "ufw: not changed by the last run"; return 0; }
  tar -C /etc -xf "$1/ufw-etc.tar"
  echo "ufw: restored /etc/ufw and /etc/default/ufw"
  if [ "$(cat "$1/ufw.state")" = active ]; then ufw --force enable > /dev/null && ufw reload; else ufw --force disable; fi
}
# --- end of ufw.sh ---
