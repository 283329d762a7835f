DOCKER_CONFIG=$(mktemp -d)
export DOCKER_CONFIG
trap 'rm -rf "$DOCKER_CONFIG"' EXIT
docker login --username bot --password-stdin docker.io >/dev/null <<'SHIPYARD_PW_0000000000000001'
pw
SHIPYARD_PW_0000000000000001
docker pull --quiet library/api:1 >/dev/null
say digest "$(docker image inspect \
  --format '{{range .RepoDigests}}{{println .}}{{end}}' \
  library/api:1 | grep -F -m1 library/api@ || true)"
