"""One parser per linter output format: text in, :class:`~shipyard.lint.findings.Finding` out.

Every parser is pure: ``parse(stdout, root) -> list[Finding]``. Machine formats (JSON) raise
:class:`~shipyard.lint.findings.ParseError` when the output is not that format, which the runner
reports as the linter's crash.
"""
