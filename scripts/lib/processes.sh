# shellcheck shell=bash
# Process helpers shared by scripts/quickstart.sh and bench/dp-overhead.sh. The sourcing script
# defines log().

# stop_process NAME PID TIMEOUT_SECONDS
# SIGTERM first (a data plane answers it by finishing in-flight requests and flushing its last
# counts), SIGKILL only after TIMEOUT_SECONDS; then reaps the process.
stop_process() {
  local name=$1 pid=$2 timeout=$3 deadline
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) did not stop within ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
