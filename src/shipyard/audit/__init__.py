"""The audit action: one security gate over dependencies, code, secrets, images and IaC."""

#: The modules that only decide: no process, no network, no file, no log; what they import
#: from shipyard is pure too (the repository's tests check the imports).
PURE_MODULES = (
    "gate",
    "ignore",
    "merge",
    "outcome",
    "pins",
    "places",
    "plan",
    "resolution",
    "sbom",
    "severity",
    "spec",
    "scanners.bandit",
    "scanners.hadolint",
    "scanners.pip_audit",
    "scanners.trivy",
)
