"""The lint action: every linter a repository configures, in parallel, findings on the PR."""

#: The modules that only decide: no process, no network, no file, no log; what they import
#: from shipyard is pure too (the repository's tests check the imports).
PURE_MODULES = (
    "changed",
    "config",
    "detect",
    "outcome",
    "plan",
    "spec",
    "tools",
    "versions",
    "cache",
    "enforced",
    "shares",
    "lines",
    "review",
)
