export SHIPYARD_APP=api SHIPYARD_RELEASE=20260101000000-r1 SHIPYARD_IMAGE=reg/api:1
export SHIPYARD_PREVIOUS_RELEASE='x'"'"'; touch /tmp/pwned; echo '"'"'$(id)`id`'
say hook smoke
bash -euo pipefail -c ./smoke
