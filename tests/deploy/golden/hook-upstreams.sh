export SHIPYARD_APP=api SHIPYARD_RELEASE=20260101000000-r1 SHIPYARD_IMAGE=reg/api:1
export SHIPYARD_PREVIOUS_RELEASE=20251231000000-r0
upstreams=()
for name in api-20260101000000-r1-1 api-20260101000000-r1-2 'x'"'"'; touch /tmp/pwned; echo '"'"'$(id)`id`'; do
  port=$(host_port "$name")
  [[ -n $port ]] || { echo "$name publishes no port for SHIPYARD_UPSTREAMS" >&2; exit 1; }
  upstreams+=("127.0.0.1:$port")
done
export SHIPYARD_UPSTREAMS="${upstreams[*]}"
say hook smoke
bash -euo pipefail -c './smoke "$SHIPYARD_UPSTREAMS"'
