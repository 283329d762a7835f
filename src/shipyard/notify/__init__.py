"""notify: Slack (webhook or bot token, one message updated from started to done), email over
SMTP with the right TLS mode, and a generic JSON webhook, in one step."""

#: The modules that only decide: no process, no network, no file, no log; what they import
#: from shipyard is pure too (tests/test_repository.py checks the imports, at any depth).
PURE_MODULES = ("guard", "message", "render", "settings", "spec")
