"""The deploy action: zero-downtime releases of a container image over SSH, with rollback."""

#: Modules that decide without starting a process or opening a connection
#: (tests/test_repository.py checks their imports).
PURE_MODULES = (
    "compose",
    "compose_steps",
    "container_steps",
    "disk",
    "health",
    "hostkeys",
    "hosts",
    "images",
    "maintenance_steps",
    "markers",
    "nginx",
    "ops_steps",
    "plan",
    "releases",
    "render",
    "settings",
    "site",
    "spec",
    "steps",
    "strategies",
    "targets",
    "tls",
    "transport",
)
