"""Findings: what linters and security scanners report, in one model, for every action.

The floor above the runtime (it may import ``shipyard.runtime``; the runtime never imports
it), used by lint and audit alike, so that neither imports the other:

- ``model``: one :class:`~shipyard.findings.model.Finding` (tool, rule, level, security
  severity, location, fingerprint), its fingerprint schemes and filters (pure).
- ``severity``: security severities from CVSS vectors and scanners' own labels (pure).
- ``tool``: the tool protocol (a command line and the parser of what it printed) and the
  judgement of a finished run: ok, crashed or timed out (pure).
- ``runner``: runs tools in parallel through the runtime and judges each run (processes).
- ``emit``: findings as annotations, summary tables and SARIF runs (pure; the runtime's
  ``emit_annotations`` and ``write_sarif`` write them).
- ``kinds``: what kind of file a path is, paths made relative, a walked tree (pure).
- ``files``: the one walker of a tree, links that lead out, lines of source read inside a
  root, file sizes (the file system only).
- ``parsers``: one parser per tool output format, text in, findings out (pure).
"""

#: The modules that only decide: no process, no network, no file, no log; what they import
#: from shipyard is pure too (the repository's tests check the imports).
PURE_MODULES = (
    "kinds",
    "model",
    "severity",
    "tool",
    "parsers._json",
    "parsers.bandit",
    "parsers.flake8",
    "parsers.formatter",
    "parsers.hadolint",
    "parsers.mypy",
    "parsers.pip_audit",
    "parsers.pylint",
    "parsers.ruff",
    "parsers.shellcheck",
    "parsers.trivy",
    "parsers.yamllint",
    "parsers.zizmor",
)
