printf '%s\n' '{"event": "rollback"}' >>"$STATE/audit.log"
say stopped
