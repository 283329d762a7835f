wait_healthy api-20260101000000-r1-1 3 0.5
wait_healthy api-20260101000000-r1-2 3 0.5
