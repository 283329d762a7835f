command -v pgrep >/dev/null || { say stop-steps-unsupported; exit 0; }
own=$(ps -o pgid= -p $$ | tr -d ' ')
for pid in $(pgrep -x -f -- 'bash -s shipyard-step-0123456789abcdef-0' || true); do
  group=$(ps -o pgid= -p "$pid" | tr -d ' ') || continue
  [[ -n $group && $group -gt 1 && $group != "$own" ]] || continue
  kill -TERM -- "-$group" 2>/dev/null || true
  say stopped-step "$pid"
done
for _ in {1..20}; do
  pgrep -x -f -- 'bash -s shipyard-step-0123456789abcdef-0' >/dev/null || exit 0
  sleep 0.5
done
pkill -KILL -x -f -- 'bash -s shipyard-step-0123456789abcdef-0' || true
