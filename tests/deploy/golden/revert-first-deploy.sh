docker rm --force api-20260101000000-r1-1 api-20260101000000-r1-2 >/dev/null 2>&1 || true
say reverted
