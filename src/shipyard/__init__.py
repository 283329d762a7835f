"""shipyard: reusable composite GitHub Actions whose logic is Python."""

__version__ = "0.1.0"

#: The actions this package provides, in the order `python -m shipyard` lists them.
ACTIONS: tuple[str, ...] = ("notify", "approval", "build-push", "audit", "deploy", "lint")
