say log-size "$(stat -c %s "$HOME"/nginx/api.access.log 2>/dev/null || echo 0)"
