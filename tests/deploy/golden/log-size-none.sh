say log-size 0
