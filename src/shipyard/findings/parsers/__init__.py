"""One parser per tool output format: text in, :class:`~shipyard.findings.model.Finding` out.

Every parser is pure: ``parse(text, root) -> list[Finding]`` (plus what a format needs to
place its findings, e.g. trivy's targets). Machine formats (JSON) raise
:class:`~shipyard.findings.model.ParseError` when the output is not that format, which the
runner reports as the tool's crash. The fingerprint is the parser's to choose (see
``shipyard.findings.model``); a linter's defaults to its tool, rule, file and message.
"""
