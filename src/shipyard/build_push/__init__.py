"""The build-push action: multi-arch Docker images with the tags users expect."""

#: The modules that only decide: no process, no network, no file, no log; what they import
#: from shipyard is pure too (tests/test_repository.py checks the imports, at any depth).
PURE_MODULES = (
    "buildsecrets",
    "errors",
    "expressions",
    "images",
    "platforms",
    "refcontext",
    "spec",
    "tagrules",
    "tags",
    "versions",
)
