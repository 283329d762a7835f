export SHIPYARD_APP=api SHIPYARD_RELEASE=20260101000000-r1 SHIPYARD_IMAGE=reg/api:1
say hook pre-deploy
bash -euo pipefail -c 'echo pre; ./backup'
