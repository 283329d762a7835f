"""The step's verdict: the error the audit ends with, if any (a scanner that did not run and
may not be unavailable, exit 3; else findings that block, exit 1)."""

from __future__ import annotations

from collections.abc import Sequence

from shipyard.runtime import ExternalError, VerdictFailure, neutralize

from .gate import Verdict
from .outcome import Unavailable


def failure_of(
    verdict: Verdict, ignore_file: str, missing: Sequence[Unavailable] = ()
) -> ExternalError | VerdictFailure | None:
    """The step's failure: a scanner that did not run and is not allowed to be unavailable
    (exit 3, naming it), else findings that block (exit 1)."""
    if missing:
        names = ", ".join(dict.fromkeys(u.scanner for u in missing))
        reasons = "; ".join(
            f"{u.scanner}: {u.source}: {neutralize(u.reason)[:200]}" for u in missing
        )
        also = (
            f" ({len(verdict.blocking)} blocking finding(s) in the rest)"
            if verdict.blocking
            else ""
        )
        return ExternalError(
            f"the audit could not run {names}{also}: {reasons}",
            title="Audit incomplete",
            hint="Give the scanner what it needs (a vulnerability-db, network to its service, a "
            "longer timeout), or list it in allow-unavailable to let the audit pass without it.",
        )
    if not verdict.blocking:
        return None
    return VerdictFailure(
        f"{len(verdict.blocking)} finding(s) at or above {verdict.threshold}",
        title="Audit failed",
        hint="Fix them (see the summary's fix commands), or ignore one with a reason and "
        f"an expiry date in {ignore_file}.",
    )
