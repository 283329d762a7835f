proc_stat $$ >/dev/null || { say stop-steps-unsupported; exit 0; }
own=$(proc_stat $$)
own=${own%% *}
groups=()
for file in "$STATE/steps"/shipyard-step-0123456789abcdef-0.*; do
  [[ -e $file ]] || continue
  pid=${file##*.}
  recorded=$(cat "$file" 2>/dev/null || true)
  group=${recorded%% *}
  if [[ $(proc_stat "$pid" || true) == "$recorded" && $group -gt 1 && $group != "$own" ]]; then
    kill -TERM -- "-$group" 2>/dev/null || true
    say stopped-step "$pid"
    groups+=("$group")
  fi
  rm -f "$file"
done
for _ in {1..20}; do
  alive=0
  for group in ${groups[@]+"${groups[@]}"}; do
    if kill -0 -- "-$group" 2>/dev/null; then alive=1; fi
  done
  ((alive)) || exit 0
  sleep 0.5
done
for group in "${groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
