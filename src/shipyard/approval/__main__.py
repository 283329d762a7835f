"""Entry point of the approval action: ``python -m shipyard.approval``.

Every input is checked, and every approver (users and team members) is looked up, before the
issue is created: a bad input exits 2 with no issue left behind. Once an issue exists, the
run never ends without closing it (decided, timed out, cancelled by SIGINT/SIGTERM), unless
GitHub itself cannot be reached.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from github import GithubException

from shipyard.runtime import (
    ActionContext,
    ConfigError,
    ExitCode,
    ExternalError,
    InputError,
    Markdown,
    Summary,
    VerdictFailure,
    github_api_url,
    link,
    main_for,
)
from shipyard.runtime.summary import escape_cell, escape_text

from .body import (
    MARKER_PREFIX,
    BodyParts,
    Changes,
    Request,
    cancelled_comment,
    checklist_items,
    decision_comment,
    default_title,
    format_duration,
    format_time,
    parse_checklist,
    parse_marker,
    previous_release,
    render_body,
    stopped_comment,
    timeout_comment,
)
from .decision import Approver, Comment, Evaluation, Policy, evaluate
from .github_api import (
    Clock,
    DeadlineReached,
    GitHubApi,
    IssueData,
    SystemClock,
    describe_failure,
)
from .spec import DEFAULT_TIMEOUT, SPEC
from .trust import Untrusted, check_request
from .trust import run_initiators as initiators_of_run
from .waiting import progress, wait_for_decision
from .words import build_words

MAX_ASSIGNEES = 10
MAX_DISPATCH_INPUTS = 25
MIN_POLL_INTERVAL = 1.0
JOB_LIMIT = 6 * 3600.0
CHECK_API_BUDGET = 900.0
CLOSE_BUDGET = 300.0
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_STATUS_TEXT = {
    "approved": ("\u2705", "Approved"),
    "denied": ("\u274c", "Denied"),
    "timed-out": ("\u231b", "Timed out"),
    "cancelled": ("\U0001f6ab", "Cancelled"),
    "pending": ("\u23f3", "Waiting for approval"),
}


@dataclass
class Settings:
    """The inputs, parsed and checked, before anything talks to GitHub."""

    mode: str
    approver_specs: list[str]
    minimum: int
    exclude_initiator: bool
    require_checklist: bool
    checklist: list[str]
    environment: str
    version: str
    issue_title: str
    issue_body: str
    labels: list[str]
    repository: str
    issue_number: int | None
    timeout: float
    timeout_supplied: bool
    poll_interval: float
    fail_on_denial: bool
    on_approved: str
    on_approved_ref: str
    on_approved_inputs: dict[str, str]
    token: str
    allow_foreign_issue: bool = False
    words_approve: list[str] = field(default_factory=list)
    words_deny: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    status: str
    issue: IssueData | None
    evaluation: Evaluation | None
    policy: Policy
    repository: str
    note: str = ""


def parse_dispatch_inputs(text: str) -> dict[str, str]:
    """``on-approved-inputs``: lines ``name=value`` or a JSON object; values as strings."""
    text = text.strip()
    if not text:
        return {}
    result: dict[str, str] = {}
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError("on-approved-inputs", f"is not valid JSON: {exc}.") from None
        if not isinstance(data, dict):
            raise InputError("on-approved-inputs", "must be a JSON object.")
        for key, value in data.items():
            if isinstance(value, (dict, list)) or value is None:
                raise InputError(
                    "on-approved-inputs", f"'{key}' must be a string, number or boolean."
                )
            result[str(key)] = (
                ("true" if value else "false") if isinstance(value, bool) else str(value)
            )
    else:
        for line in text.splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                raise InputError(
                    "on-approved-inputs", f"'{line.strip()}' is not a line 'name=value'."
                )
            result[name.strip()] = value.strip()
    if len(result) > MAX_DISPATCH_INPUTS:
        raise InputError(
            "on-approved-inputs",
            f"has {len(result)} inputs; workflow_dispatch takes at most {MAX_DISPATCH_INPUTS}.",
        )
    return result


def read_settings(ctx: ActionContext) -> Settings:
    """Parse and check every input (no network)."""
    inputs = ctx.inputs
    mode = inputs.str("mode")
    token = inputs.str("token")
    if not token:
        raise InputError(
            "token",
            "is empty. Pass a token with issues: write (the default is the job's "
            "${{ github.token }}).",
        )
    repository = inputs.str("target-repository") or ctx.github.repository
    if not repository:
        raise InputError(
            "target-repository", "is required outside a workflow run (GITHUB_REPOSITORY is unset)."
        )
    if not _REPOSITORY.match(repository):
        raise InputError("target-repository", f"'{repository}' is not owner/name.")
    approvers: list[str] = inputs.get("approvers")  # type: ignore[assignment]
    if not approvers:
        raise InputError("approvers", "is empty; name at least one user or org/team.")
    poll_interval = float(inputs.get("poll-interval"))  # type: ignore[arg-type]
    if poll_interval < MIN_POLL_INTERVAL:
        raise InputError("poll-interval", f"must be at least {MIN_POLL_INTERVAL:g}s.")
    given = inputs.get("timeout")
    timeout = float(given) if isinstance(given, (int, float)) else DEFAULT_TIMEOUT
    if timeout <= 0:
        raise InputError("timeout", "must be longer than 0s.")
    on_approved = inputs.str("on-approved")
    if mode != "check":
        for name in ("on-approved", "on-approved-ref", "on-approved-inputs"):
            if inputs.supplied(name):
                raise InputError(name, "is used only with mode: check.")
    if mode == "request" and inputs.get("issue-number") is not None:
        raise InputError("issue-number", "cannot be used with mode: request (it creates one).")
    if inputs.get("allow-foreign-issue") and (mode != "wait" or inputs.get("issue-number") is None):
        raise InputError("allow-foreign-issue", "is used only with mode: wait and issue-number.")
    items = checklist_items(inputs.str("checklist"))
    require_checklist = bool(inputs.get("require-checklist"))
    if require_checklist and not items and "- [" not in inputs.str("issue-body"):
        raise InputError(
            "require-checklist", "is true, but the issue has no checklist (checklist: none)."
        )
    number = inputs.get("issue-number")
    return Settings(
        mode=mode,
        approver_specs=approvers,
        minimum=int(inputs.get("minimum-approvals")),  # type: ignore[call-overload]
        exclude_initiator=bool(inputs.get("exclude-initiator")),
        require_checklist=require_checklist,
        checklist=items,
        environment=inputs.str("environment"),
        version=inputs.str("version"),
        issue_title=inputs.str("issue-title"),
        issue_body=inputs.str("issue-body"),
        labels=list(inputs.get("labels")),  # type: ignore[call-overload]
        repository=repository,
        issue_number=int(number) if isinstance(number, int) else None,
        timeout=timeout,
        timeout_supplied=given is not None,
        poll_interval=poll_interval,
        fail_on_denial=bool(inputs.get("fail-on-denial")),
        on_approved=on_approved,
        on_approved_ref=inputs.str("on-approved-ref"),
        on_approved_inputs=parse_dispatch_inputs(inputs.str("on-approved-inputs")),
        token=token,
        allow_foreign_issue=bool(inputs.get("allow-foreign-issue")),
        words_approve=list(inputs.get("approve-words")),  # type: ignore[call-overload]
        words_deny=list(inputs.get("deny-words")),  # type: ignore[call-overload]
    )


def run_initiators(ctx: ActionContext) -> list[str]:
    """Who started this run: the actor, and whoever re-ran it."""
    people: list[str] = []
    for login in (ctx.github.actor, ctx.github.triggering_actor):
        if login and login.lower() not in {p.lower() for p in people}:
            people.append(login)
    return people


def resolve_approvers(api: GitHubApi, specs: list[str]) -> list[Approver]:
    """Users as GitHub spells them and the members of each org/team (every page)."""
    approvers: list[Approver] = []
    seen: set[str] = set()

    def add(login: str, via: str = "") -> None:
        if login.lower() not in seen:
            seen.add(login.lower())
            approvers.append(Approver(login, via))

    direct = [s.strip().removeprefix("@") for s in specs if "/" not in s]
    teams = [s.strip().removeprefix("@") for s in specs if "/" in s]
    for login in direct:
        if not _LOGIN.match(login):
            raise InputError("approvers", f"'{login}' is not a GitHub user name or org/team.")
        found = api.user_login(login)
        if found is None:
            raise InputError("approvers", f"there is no GitHub user '{login}'.")
        add(found)
    for team in teams:
        org, _, slug = team.partition("/")
        if not org or not slug or "/" in slug or not _LOGIN.match(org):
            raise InputError("approvers", f"'{team}' is not a team; write it as org/team-slug.")
        members = api.team_members(org, slug)
        if members is None:
            raise InputError(
                "approvers",
                f"the team '{org}/{slug}' was not found, or the token cannot read it.",
                hint="Reading team members needs a token with read:org (a GitHub App or a "
                "personal token); the job's GITHUB_TOKEN cannot read teams.",
            )
        for member in members:
            add(member, f"{org}/{slug}")
    return approvers


def build_policy(settings: Settings, approvers: list[Approver], initiators: list[str]) -> Policy:
    """The policy, checking that enough people can approve."""
    policy = Policy(
        approvers=tuple(approvers),
        minimum=settings.minimum,
        initiators=frozenset(i.lower() for i in initiators if i),
        exclude_initiator=settings.exclude_initiator,
        words=build_words(settings.words_approve, settings.words_deny),
        require_checklist=settings.require_checklist,
    )
    eligible = policy.eligible()
    if settings.minimum > len(eligible):
        who = ", ".join(a.login for a in eligible) or "nobody"
        note = ""
        excluded = policy.excluded()
        if excluded:
            note = (
                f"; {', '.join(a.login for a in excluded)} started the run and cannot approve "
                "(exclude-initiator)"
            )
        raise InputError(
            "minimum-approvals",
            f"{settings.minimum} approvals are needed, but only {len(eligible)} "
            f"{'person' if len(eligible) == 1 else 'people'} can approve ({who}{note}).",
        )
    return policy


class VoteReader:
    """Reads an issue and its comments for the waiting loop; for each comment that would
    approve, GitHub's record of edits too (an edited approval does not count)."""

    def __init__(self, api: GitHubApi, policy: Policy) -> None:
        self.api = api
        self.policy = policy

    def read_issue(self, repository: str, number: int) -> tuple[bool, IssueData]:
        return self.api.read_issue(repository, number)

    def read_comments(self, repository: str, number: int, count: int) -> list[Comment]:
        comments = self.api.read_comments(repository, number, count)
        policy = self.policy
        votes = [
            c
            for c in comments
            if policy.can_approve(c.author) and policy.words.classify(c.body) == "approve"
        ]
        if not votes:
            return comments
        checked = {c.id: c for c in self.api.with_edits(votes)}
        return [checked.get(c.id, c) for c in comments]


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Let last words (closing the issue) finish when the runner signals again."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Approval:
    """One run of the action."""

    def __init__(self, ctx: ActionContext, clock: Clock) -> None:
        self.ctx = ctx
        self.clock = clock
        self.started = clock.time()
        self.settings = read_settings(ctx)
        self.api = GitHubApi(
            self.settings.token,
            github_api_url(ctx.env),
            clock=clock,
            log=ctx.runner.info,
            deadline=self.started + self.settings.timeout,
        )
        #: The issue this run created or waits on, while it is still open.
        self.open_issue: IssueData | None = None
        self.nonce = ""
        #: Comments up to this id came before this run's request (an issue it did not open).
        self.after = 0

    # -- helpers ----------------------------------------------------------------------------
    def now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock.time(), timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )

    def guard(self, what: str, operation: Callable[[], object]) -> None:
        try:
            operation()
        except GithubException as exc:
            raise describe_failure(exc, what, self.settings.repository) from None

    def judge(self, policy: Policy) -> Callable[[IssueData, list[Comment]], Evaluation]:
        def judge(issue: IssueData, comments: list[Comment]) -> Evaluation:
            return evaluate(comments, policy, parse_checklist(issue.body), after=self.after)

        return judge

    def read_votes(self, number: int, count: int, policy: Policy) -> list[Comment]:
        """Every comment; for those that would approve, GitHub's record of edits too."""
        return VoteReader(self.api, policy).read_comments(self.settings.repository, number, count)

    # -- entry ------------------------------------------------------------------------------
    def run(self) -> ExitCode:
        self.ctx.runner.debug(f"GitHub API: {self.api.api_url}")
        try:
            if self.settings.mode == "check":
                return self.check()
            return self.wait_or_request()
        except GithubException as exc:
            raise describe_failure(exc, "use the GitHub API", self.settings.repository) from None
        finally:
            self.api.close()

    def wait_or_request(self) -> ExitCode:
        settings = self.settings
        ctx = self.ctx
        policy: Policy | None = None
        try:
            if settings.issue_number is not None:
                issue, request = self.existing_issue(settings.issue_number)
                initiators = list(request.initiators) if request else []
                initiators += run_initiators(ctx)
                policy = build_policy(
                    settings, resolve_approvers(self.api, settings.approver_specs), initiators
                )
                if request is None:
                    self.request_on(issue, policy, initiators)
                elif issue.state == "closed":
                    return self.report_closed(issue, policy)
            else:
                initiators = run_initiators(ctx)
                policy = build_policy(
                    settings, resolve_approvers(self.api, settings.approver_specs), initiators
                )
                issue = self.create(policy, initiators)
            ctx.runner.info(f"Approval issue: {issue.html_url}")
            if settings.mode == "request":
                self.set_outputs("pending", issue, None)
                self.summarize(Outcome("pending", issue, None, policy, settings.repository))
                return ExitCode.OK
            self.open_issue = issue
            return self.wait(issue, policy)
        except DeadlineReached:
            raise ExternalError(
                "GitHub's rate limit did not allow finishing before the timeout.",
                hint="Run the job again later.",
            ) from None
        except KeyboardInterrupt:
            if policy is None:
                raise
            return self.cancelled(policy)
        except Exception as exc:
            # anything unexpected once the issue exists: say so on it and close it
            if self.open_issue is not None:
                reason = (
                    describe_failure(exc, "use the GitHub API").message
                    if isinstance(exc, GithubException)
                    else getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                )
                self.last_words(
                    self.open_issue,
                    stopped_comment(
                        self.ctx.runner.redact(reason), self.now_iso(), self.ctx.github.run_url
                    ),
                )
            raise

    def existing_issue(self, number: int) -> tuple[IssueData, Request | None]:
        try:
            _changed, issue = self.api.read_issue(self.settings.repository, number)
        except GithubException as exc:
            if exc.status == 404:
                raise InputError(
                    "issue-number",
                    f"there is no issue #{number} in {self.settings.repository} (or the token "
                    "cannot see it).",
                ) from None
            raise
        request = parse_marker(issue.body)
        why = f"Issue #{number} is not an approval request of this action"
        if request is not None:
            try:
                self.check_trust(issue)
            except Untrusted as exc:
                request, why = None, exc.message.removesuffix(".")
        if request is None:
            if not self.settings.allow_foreign_issue:
                raise InputError(
                    "issue-number",
                    f"{why}: waiting on it would count comments made before this run asked. "
                    "Set allow-foreign-issue: true to post this run's request on the issue and "
                    "count only the comments after it.",
                )
            if issue.state == "closed":
                raise InputError("issue-number", f"{why}, and it is closed.")
            self.ctx.runner.annotate(
                "warning",
                f"{why}; posting this run's request on it: only comments after it count.",
            )
        return issue, request

    def check_trust(self, issue: IssueData) -> None:
        """Raise Untrusted unless the issue was opened by the token's identity and its body
        is as the action wrote it (apart from ticked boxes)."""
        history = self.api.issue_history(self.settings.repository, issue.number)
        check_request(issue.number, issue.body, history, self.api.whoami())

    def request_on(self, issue: IssueData, policy: Policy, initiators: list[str]) -> None:
        """Post this run's request on an issue the action did not open: only comments after
        it count."""
        body, _version = self.request_text(policy, initiators)
        self.after = self.api.comment(self.settings.repository, issue.number, body)

    # -- creating ---------------------------------------------------------------------------
    def version(self) -> str:
        github = self.ctx.github
        if self.settings.version:
            return self.settings.version
        if github.ref.startswith("refs/tags/") or not github.sha:
            return github.ref_name
        return github.short_sha

    def changes(self, version: str) -> Changes | None:
        """Commits since the previous release tag of this repository, when there is one."""
        github = self.ctx.github
        if not (github.repository and github.sha):
            return None
        try:
            base = previous_release(self.api.tags(github.repository), version, github.sha)
            if base is None:
                return None
            count, titles, url = self.api.compare(github.repository, base, github.sha)
        except (GithubException, ExternalError) as exc:
            self.ctx.runner.debug(f"No list of changes: {exc}")
            return None
        url = url or f"{github.repository_url}/compare/{base}...{github.sha}"
        return Changes(base, url, count, tuple(titles))

    def create(self, policy: Policy, initiators: list[str]) -> IssueData:
        settings = self.settings
        github = self.ctx.github
        body, version = self.request_text(policy, initiators)
        if settings.require_checklist and parse_checklist(body).total == 0:
            raise InputError("require-checklist", "is true, but the issue has no checkboxes.")
        title = settings.issue_title or default_title(
            github.workflow, version, settings.environment
        )
        eligible = policy.eligible()
        direct = [a.login for a in eligible if not a.via]
        if len(direct) > MAX_ASSIGNEES:
            self.ctx.runner.info(
                f"GitHub allows {MAX_ASSIGNEES} assignees; assigning the first {MAX_ASSIGNEES}."
            )
        try:
            issue, unassigned = self.api.create_issue(
                settings.repository,
                title=title,
                body=body,
                labels=settings.labels,
                assignees=direct[:MAX_ASSIGNEES],
                nonce=self.nonce,
            )
        except GithubException as exc:
            raise describe_failure(exc, "create the approval issue", settings.repository) from None
        if unassigned:
            self.ctx.runner.annotate(
                "warning",
                f"Could not assign {', '.join(unassigned)} to issue #{issue.number}: they need "
                "write or triage access to be assigned. They can still approve.",
            )
        return issue

    def request_text(self, policy: Policy, initiators: list[str]) -> tuple[str, str]:
        """The request (issue body, or comment on an issue the action did not open) with its
        marker, and the version it names."""
        settings = self.settings
        github = self.ctx.github
        version = self.version()
        self.nonce = uuid.uuid4().hex
        request = Request(
            initiators=tuple(initiators),
            repository=github.repository,
            run_id=github.run_id,
            run_url=github.run_url,
            sha=github.sha,
            workflow=github.workflow,
            environment=settings.environment,
            version=version,
            nonce=self.nonce,
        )
        eligible = policy.eligible()
        body = render_body(
            BodyParts(
                request=request,
                requested_by=initiators,
                approver_specs=settings.approver_specs,
                eligible=eligible,
                excluded=policy.excluded(),
                minimum=settings.minimum,
                words=policy.words,
                checklist=settings.checklist,
                require_checklist=settings.require_checklist,
                run_number=github.run_number,
                commit_url=github.commit_url,
                changes=self.changes(version),
                extra=settings.issue_body,
                timeout=format_duration(settings.timeout) if settings.mode == "wait" else "",
            )
        )
        return body, version

    # -- waiting ----------------------------------------------------------------------------
    def wait(self, issue: IssueData, policy: Policy) -> ExitCode:
        settings = self.settings
        deadline = self.started + settings.timeout
        if settings.timeout > JOB_LIMIT:
            self.ctx.runner.info(
                f"Note: jobs on GitHub-hosted runners stop after 6h; timeout is "
                f"{format_duration(settings.timeout)}. Use mode: request and mode: check to "
                "wait longer with no runner held."
            )
        self.ctx.runner.info(
            f"Waiting up to {format_duration(max(0.0, deadline - self.clock.time()))} for "
            f"{settings.minimum} approval(s) on issue #{issue.number}, polling every "
            f"{format_duration(settings.poll_interval)}."
        )
        result = wait_for_decision(
            VoteReader(self.api, policy),
            settings.repository,
            issue.number,
            self.judge(policy),
            clock=self.clock,
            deadline=deadline,
            poll_interval=settings.poll_interval,
            minimum=settings.minimum,
            log=self.ctx.runner.info,
        )
        latest = result.issue or issue
        if result.outcome == "decided" and result.evaluation is not None:
            return self.decided(latest, policy, result.evaluation, close=True)
        if result.outcome == "closed":
            self.open_issue = None
            return self.finish(
                Outcome(
                    "cancelled",
                    latest,
                    result.evaluation,
                    policy,
                    settings.repository,
                    f"Issue #{latest.number} was closed by someone before a decision.",
                )
            )
        return self.timed_out(latest, policy, result.evaluation)

    def decided(
        self,
        issue: IssueData,
        policy: Policy,
        evaluation: Evaluation,
        *,
        close: bool,
        followup: str = "",
    ) -> ExitCode:
        settings = self.settings
        if close:
            text = decision_comment(evaluation, settings.minimum, self.ctx.github.run_url, followup)
            reason = "completed" if evaluation.status == "approved" else "not_planned"
            # a fresh deadline: the decision is in; closing must not be cut by the timeout
            api = self.api.bounded(max_wait=CLOSE_BUDGET, attempts=5, timeout=30.0)
            try:
                with signals_ignored():
                    self.guard(
                        f"comment on issue #{issue.number}",
                        lambda: api.comment(settings.repository, issue.number, text),
                    )
                    self.guard(
                        f"close issue #{issue.number}",
                        lambda: api.close_issue(settings.repository, issue.number, reason),
                    )
            except DeadlineReached:
                raise ExternalError(
                    f"GitHub's rate limit did not allow closing issue #{issue.number} "
                    f"({evaluation.status}).",
                    hint=f"Close it by hand: {issue.html_url}",
                ) from None
            finally:
                api.close()
            self.open_issue = None
        who = evaluation.approved_by if evaluation.status == "approved" else evaluation.denied_by
        note = (
            f"{'Approved' if evaluation.status == 'approved' else 'Denied'} by "
            f"{', '.join(who)} at {format_time(evaluation.decided_at)}."
        )
        return self.finish(
            Outcome(evaluation.status, issue, evaluation, policy, settings.repository, note)
        )

    def timed_out(
        self, issue: IssueData, policy: Policy, evaluation: Evaluation | None
    ) -> ExitCode:
        settings = self.settings
        timeout = format_duration(settings.timeout)
        self.last_words(issue, timeout_comment(timeout, self.now_iso(), self.ctx.github.run_url))
        return self.finish(
            Outcome(
                "timed-out",
                issue,
                evaluation,
                policy,
                settings.repository,
                f"No decision within {timeout}.",
            )
        )

    def cancelled(self, policy: Policy) -> ExitCode:
        issue = self.open_issue
        self.ctx.runner.info("Cancelled before a decision.")
        self.last_words_cancelled()
        return self.finish(
            Outcome(
                "cancelled",
                issue,
                None,
                policy,
                self.settings.repository,
                "The workflow run was cancelled before a decision.",
            )
        )

    def last_words_cancelled(self) -> None:
        """On cancellation: comment and close the issue (found by its nonce if the run was
        cancelled while creating it)."""
        with signals_ignored():
            issue = self.open_issue
            api = self.api.bounded(max_wait=5.0, attempts=2, timeout=5.0)
            try:
                if issue is None and self.nonce:
                    try:
                        issue = api.find_request(self.settings.repository, self.nonce)
                    except (GithubException, ExternalError, DeadlineReached):
                        issue = None
                if issue is not None:
                    self.last_words(
                        issue, cancelled_comment(self.now_iso(), self.ctx.github.run_url), api
                    )
            finally:
                api.close()

    def last_words(self, issue: IssueData, text: str, api: GitHubApi | None = None) -> None:
        """Comment and close as not planned; a failure here is a warning, not a crash."""
        own = api is None
        client = api or self.api.bounded(max_wait=60.0, attempts=3, timeout=10.0)
        try:
            with signals_ignored():
                client.comment(self.settings.repository, issue.number, text)
                client.close_issue(self.settings.repository, issue.number, "not_planned")
            self.open_issue = None
        except (GithubException, ExternalError, DeadlineReached) as exc:
            self.ctx.runner.annotate(
                "warning",
                f"Could not close approval issue #{issue.number} ({exc}); close it by hand: "
                f"{issue.html_url}",
            )
        finally:
            if own:
                client.close()

    def report_closed(self, issue: IssueData, policy: Policy) -> ExitCode:
        """``wait`` on an issue that is already closed: report its decision, if any."""
        comments = self.read_votes(issue.number, issue.comments, policy)
        evaluation = self.judge(policy)(issue, comments)
        if evaluation.decided:
            return self.decided(issue, policy, evaluation, close=False)
        return self.finish(
            Outcome(
                "cancelled",
                issue,
                evaluation,
                policy,
                self.settings.repository,
                f"Issue #{issue.number} is closed without a decision.",
            )
        )

    # -- check mode -------------------------------------------------------------------------
    def ignore(self, why: str) -> ExitCode:
        self.ctx.runner.info(f"Nothing to do: {why}.")
        return ExitCode.OK

    def check(self) -> ExitCode:
        settings = self.settings
        ctx = self.ctx
        event = ctx.github.event
        payload_issue = event.get("issue") if isinstance(event.get("issue"), dict) else None
        number = settings.issue_number
        if number is None:
            if payload_issue is None or ctx.github.event_name not in ("issue_comment", "issues"):
                raise InputError(
                    "issue-number",
                    "is required: mode check evaluates the issue of an issue_comment or issues "
                    f"event, and this run's event is '{ctx.github.event_name or 'none'}'.",
                )
            if payload_issue.get("pull_request"):
                return self.ignore("a comment on a pull request")
            if MARKER_PREFIX not in str(payload_issue.get("body") or ""):
                return self.ignore(f"issue #{payload_issue.get('number')} is not an approval")
            if payload_issue.get("state") == "closed":
                return self.ignore(f"issue #{payload_issue.get('number')} is closed")
            number = int(payload_issue["number"])
        self.api.deadline = self.clock.time() + CHECK_API_BUDGET
        try:
            return self.check_issue(number)
        except DeadlineReached:
            raise ExternalError(
                "GitHub's rate limit did not allow checking the approval issue.",
                hint="The next comment checks it again; or re-run this job later.",
            ) from None

    def check_issue(self, number: int) -> ExitCode:
        settings = self.settings
        ctx = self.ctx
        issue, request = self.existing_issue_for_check(number)
        if request is None:
            return self.ignore(f"issue #{number} is not an approval")
        if issue.state == "closed":
            return self.ignore(f"issue #{number} is already closed")
        initiators = list(self.trusted_initiators(issue, request))
        policy = build_policy(
            settings, resolve_approvers(self.api, settings.approver_specs), initiators
        )
        comments = self.read_votes(number, issue.comments, policy)
        evaluation = self.judge(policy)(issue, comments)
        if not evaluation.decided:
            created = _epoch(issue.created_at)
            if (
                settings.timeout_supplied
                and created
                and self.clock.time() - created > (settings.timeout)
            ):
                return self.timed_out(issue, policy, evaluation)
            self.set_outputs("pending", issue, evaluation)
            line = progress(evaluation, settings.minimum)
            ctx.runner.info(f"Issue #{number}: {line}; no decision yet.")
            self.summarize(
                Outcome("pending", issue, evaluation, policy, settings.repository, line + ".")
            )
            return ExitCode.OK
        followup = ""
        if evaluation.status == "approved" and settings.on_approved:
            followup = self.dispatch(issue)
        return self.decided(issue, policy, evaluation, close=True, followup=followup)

    def trusted_initiators(self, issue: IssueData, request: Request) -> tuple[str, ...]:
        """Who started the run that asked, from sources a writer cannot edit; fails closed
        (exit 1) when the request cannot be trusted."""
        try:
            self.check_trust(issue)
            run = self.api.workflow_run(
                request.repository or self.settings.repository, request.run_id
            )
            return initiators_of_run(issue.number, request, run)
        except Untrusted as exc:
            raise VerdictFailure(
                exc.message,
                title="Approval request not trusted",
                hint="Close the issue and request approval again; ask who edited it.",
            ) from None

    def existing_issue_for_check(self, number: int) -> tuple[IssueData, Request | None]:
        try:
            _changed, issue = self.api.read_issue(self.settings.repository, number)
        except GithubException as exc:
            raise describe_failure(exc, f"read issue #{number}", self.settings.repository) from None
        return issue, parse_marker(issue.body)

    def dispatch(self, issue: IssueData) -> str:
        """Start on-approved before closing: if it fails, the issue stays open and the next
        check (or a re-run) tries again."""
        settings = self.settings
        repository = self.ctx.github.repository or settings.repository
        _changed, fresh = self.api.read_issue(settings.repository, issue.number)
        if fresh.state == "closed":
            raise ConfigError(
                f"Issue #{issue.number} was closed by another run meanwhile; not starting "
                f"{settings.on_approved} twice.",
                hint="Use a concurrency group per issue for the check workflow.",
            )
        ref = settings.on_approved_ref
        try:
            if not ref:
                ref = self.api.default_branch(repository)
            self.api.dispatch(repository, settings.on_approved, ref, settings.on_approved_inputs)
        except GithubException as exc:
            raise describe_failure(
                exc, f"start the workflow {settings.on_approved} on {ref}", repository
            ) from None
        self.ctx.runner.info(f"Started {settings.on_approved} on {ref} in {repository}.")
        return f"Started `{settings.on_approved}` on `{ref}`."

    # -- reporting --------------------------------------------------------------------------
    def set_outputs(
        self, status: str, issue: IssueData | None, evaluation: Evaluation | None
    ) -> None:
        ctx = self.ctx
        ctx.set_output("status", status)
        ctx.set_output("approved-by", ",".join(evaluation.approved_by) if evaluation else "")
        denied = evaluation.denied_by if evaluation and status == "denied" else []
        ctx.set_output("denied-by", ",".join(denied))
        ctx.set_output("issue-number", str(issue.number) if issue else "")
        ctx.set_output("issue-url", issue.html_url if issue else "")

    def finish(self, outcome: Outcome) -> ExitCode:
        ctx = self.ctx
        self.set_outputs(outcome.status, outcome.issue, outcome.evaluation)
        self.summarize(outcome)
        if outcome.status == "approved":
            ctx.runner.info(outcome.note)
            return ExitCode.OK
        title = _STATUS_TEXT.get(outcome.status, ("", outcome.status))[1]
        if self.settings.fail_on_denial:
            ctx.runner.annotate("error", outcome.note, title=f"Approval {title.lower()}")
            return ExitCode.FAILURE
        ctx.runner.annotate("notice", outcome.note, title=f"Approval {title.lower()}")
        return ExitCode.OK

    def summarize(self, outcome: Outcome) -> None:
        summary = self.ctx.summary
        icon, title = _STATUS_TEXT.get(outcome.status, ("", outcome.status))
        summary.heading(f"{icon} Approval: {title}", 3)
        if outcome.issue is not None:
            issue = outcome.issue
            line = link(f"#{issue.number} {issue.title}", issue.html_url).markdown
            if outcome.note:
                line += " \u2014 " + escape_text(outcome.note)
            summary.raw(line)
        elif outcome.note:
            summary.paragraph(outcome.note)
        evaluation = outcome.evaluation
        policy = outcome.policy
        rows: list[list[object]] = []
        for approver in policy.eligible():
            vote = evaluation.vote_of(approver.login) if evaluation else None
            name = approver.login + (f" ({approver.via})" if approver.via else "")
            if vote is None:
                rows.append([name, "\u23f3 no decision", "", ""])
                continue
            decision = "\u2705 approved" if vote.verdict == "approve" else "\u274c denied"
            comment: object = link("comment", vote.url) if vote.url else ""
            rows.append([name, decision, format_time(vote.at), comment])
        for approver in policy.excluded():
            name = approver.login + (f" ({approver.via})" if approver.via else "")
            rows.append([name, "\U0001f6ab started the run, cannot approve", "", ""])
        summary.paragraph(f"Needs {policy.minimum} of {len(policy.eligible())} possible approvers.")
        summary.table(["approver", "decision", "when", "comment"], rows)
        if evaluation is not None and policy.require_checklist:
            checklist = evaluation.checklist
            summary.paragraph(
                f"Checklist: {checklist.ticked} of {checklist.total} boxes ticked"
                + ("." if checklist.complete else "; approvals count once all are ticked.")
            )
        if evaluation is not None and evaluation.ignored:
            table = Summary().table(
                ["author", "comment", "why it does not count"],
                [
                    [
                        item.author,
                        Markdown(_comment_cell(item.body, item.url)),
                        item.reason,
                    ]
                    for item in evaluation.ignored
                ],
            )
            summary.details(f"Ignored comments ({len(evaluation.ignored)})", table.render())


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!~])")


def _comment_cell(body: str, url: str) -> str:
    """An untrusted comment as inert text in a table cell: no HTML, no Markdown, one line."""
    flat = " ".join(body.split())
    short = flat if len(flat) <= 80 else flat[:77] + "..."
    text = (
        escape_cell(_MD_SPECIAL.sub(r"\\\1", short))
        .replace("@", "@\u200b")
        .replace("://", ":/\u200b/")
        or "(empty)"
    )
    return f"{text} ({link('link', url).markdown})" if url else text


def _epoch(iso: str) -> float | None:
    try:
        return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def make_run(clock: Clock | None = None) -> Callable[[ActionContext], ExitCode]:
    """The action's ``run``, with an injectable clock (tests use a fake one)."""

    def run(ctx: ActionContext) -> ExitCode:
        return Approval(ctx, clock or SystemClock()).run()

    return run


run = make_run()
main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
