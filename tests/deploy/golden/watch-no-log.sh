failed=0
code=$(http_status "$(host_port api-20260101000000-r1-1)")
say check api-20260101000000-r1-1 "$code"
[[ $code == 2?? ]] || failed=1
code=$(http_status "$(host_port api-20260101000000-r1-2)")
say check api-20260101000000-r1-2 "$code"
[[ $code == 2?? ]] || failed=1
exit $failed
