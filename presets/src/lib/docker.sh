# shellcheck shell=bash
# --- hyprbox: Docker host (presets/src/lib/docker.sh) ---
hb_docker_host() { command -v docker > /dev/null && docker info > /dev/null 2>&1; }
# Used percent of the filesystem holding Docker's root directory.
hb_docker_usage() {
  local root
  root="$(docker info --format '{{.DockerRootDir}}')" || return 1
  df --output=pcent -- "$root" | tail -n 1 | tr -dc '0-9'
}
# Used bytes of that filesystem: a prune of a few GB on a large disk may not move the whole-percent figure.
hb_docker_used() {
  local root
  root="$(docker info --format '{{.DockerRootDir}}')" || return 1
  df -B1 --output=used -- "$root" | tail -n 1 | tr -dc '0-9'
}
# --- end of docker.sh ---
