"""The review a lint run posts on its pull request (GitHub I/O): one review with a comment per
new finding on a changed line (the plan: ``review``; the lines: ``pull``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shipyard.findings.files import SourceLines
from shipyard.runtime import ExternalError, RunContext, Runner
from shipyard.runtime.http import HttpClient

from . import review
from .github_api import PullReviews, ReviewApiError
from .lines import PullDiff
from .outcome import LinterRun, ReviewResult
from .repo import Repo
from .report import shown_level
from .spec import Settings
from .tools import FORMATTERS


def post_review(
    settings: Settings,
    facts: RunContext,
    http: Callable[[str], HttpClient],
    runner: Runner,
    *,
    repo: Repo,
    diff: PullDiff | None,
    runs: Sequence[LinterRun],
) -> ReviewResult | None:
    """Post one review with a comment per new finding on a changed line (review input), or
    say why not: a refusal (no ``pull-requests: write``) or a failure is a warning, never the
    step's failure (the annotations still show every finding)."""
    if settings.review == "none" or diff is None:
        return None
    api = PullReviews(
        http("GitHub"),
        settings.github_token,
        api_url=facts.api_url,
        repository=facts.repository,
        number=diff.number,
    )
    findings = [(f, shown_level(f, run.informational)) for run in runs for f in run.findings]
    try:
        earlier = review.posted(api.comments(), api.login())
        plan = review.plan(
            findings,
            diff,
            suggestions=settings.review == "suggestions",
            prefix=repo.prefix(facts.workspace),
            line_text=SourceLines(repo.root).text,
            earlier=earlier,
            formatters=FORMATTERS,
        )
        url = ""
        if plan.comments:
            made = api.create(diff.head, plan.body(), [c.as_json() for c in plan.comments])
            url = str(made.get("html_url") or "")
    except (ReviewApiError, ExternalError) as exc:
        problem = _problem(exc)
        runner.annotate("warning", problem, title="lint: no review comments")
        return ReviewResult(problem=problem)
    return ReviewResult(len(plan.comments), plan.outside, plan.already, plan.capped, url=url)


def _problem(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    if status in (401, 403, 404):
        return (
            f"Review comments were not posted: GitHub answered HTTP {status} ({exc}): the "
            "token cannot write to the pull request (give the job `pull-requests: write`; a "
            "fork's pull request never gets it). The findings are in the annotations and the "
            "summary."
        )
    return f"Review comments were not posted: {exc}"
