docker pull --quiet reg/api:1 >/dev/null
say digest "$(docker image inspect \
  --format '{{range .RepoDigests}}{{println .}}{{end}}' \
  reg/api:1 | grep -F -m1 reg/api@ || true)"
