"""The approval action: deployments approved or denied through a GitHub issue."""

#: The modules that only decide: no process, no network, no file, no log; what they import
#: from shipyard is pure too (tests/test_repository.py checks the imports, at any depth).
PURE_MODULES = ("body", "decision", "settings", "spec", "trust", "words")
