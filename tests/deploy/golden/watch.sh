failed=0
code=$(http_status "$(host_port api-20260101000000-r1-1)")
say check api-20260101000000-r1-1 "$code"
[[ $code == 2?? ]] || failed=1
code=$(http_status "$(host_port api-20260101000000-r1-2)")
say check api-20260101000000-r1-2 "$code"
[[ $code == 2?? ]] || failed=1
if [[ -r /var/log/nginx/api.log && ! -s $STATE/maintenance/port ]]; then
  tail -c +11 /var/log/nginx/api.log | awk '{n++; if ($9 ~ /^5/) e++} END {printf "@@shipyard requests %d %d\n", n, e}'
  say log-size "$(stat -c %s /var/log/nginx/api.log)"
fi
exit $failed
