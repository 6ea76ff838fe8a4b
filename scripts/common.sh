# Shared by scripts/bench/run.sh and scripts/loadtest/run.sh, which source it after defining
# `say` (a message on stderr) and `bin` (the virtualenv's bin folder).

# require_venv TARGET: the virtualenv's python and gunicorn, which `make TARGET` installs.
require_venv() {
  local tool
  for tool in python gunicorn; do
    if [ ! -x "$bin/$tool" ]; then
      say "$bin/$tool is missing: run \`make $1\` (it installs requirements-dev.txt)"
      exit 2
    fi
  done
}

# ensure_wrk: install wrk from Debian's packages when it is missing, or stop saying how to.
ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  say "installing wrk (apt-get install wrk)"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq)
  # A fresh machine may have no package lists yet: update them only when the install needs it.
  if ! { "${apt[@]}" install wrk || { "${apt[@]}" update && "${apt[@]}" install wrk; }; } >/dev/null 2>&1 \
    || ! command -v wrk >/dev/null 2>&1; then
    say "could not install wrk: install it (Debian/Ubuntu: apt-get install wrk) and run again"
    exit 2
  fi
}
