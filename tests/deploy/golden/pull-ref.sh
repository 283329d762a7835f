docker pull --quiet reg/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb >/dev/null
say digest "$(docker image inspect \
  --format '{{range .RepoDigests}}{{println .}}{{end}}' \
  reg/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb | grep -F -m1 reg/api@ || true)"
