"""The notify action's contract, declared once: :class:`Settings` is the inputs (action.yml,
README and ``--help`` are generated from it) and the typed object ``run`` receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shipyard.runtime import ActionSpec, Duration, HostPort, Output, Secret, Text, Url, setting

from .settings import SmtpEndpoint, smtp_endpoint, validate

SmtpSecurity = Literal["auto", "starttls", "tls", "none"]


@dataclass(frozen=True)
class Settings:
    """notify's inputs (action.yml and the README tables are generated from them)."""

    status: str = setting(
        "success, failure, cancelled, started, skipped, or free text. Default: the job's "
        "status (evaluated in the calling workflow, where it is reliable).",
        yaml_default="${{ job.status }}",
    )
    title: str = setting("Headline. Empty: e.g. 'Production Deployment Successful'.")
    message: Text = setting("Body text, in Markdown (converted for Slack and for HTML email).")
    environment: str = setting("Environment name shown in the message (e.g. production).")
    version: str = setting("Version shown in the message (e.g. v1.4.2).")
    links: list[str] = setting(
        "Extra links as lines 'Label=https://...'. The workflow run link is always added."
    )
    fail_on_error: bool = setting(
        "Fail the step (exit 3) when a channel could not be reached. Otherwise a failed "
        "channel is a warning.",
        default="false",
    )
    retries: int = setting(
        "Retries per channel on HTTP 429/5xx, connection errors and SMTP 4xx.",
        default="3",
        minimum=0,
        maximum=10,
    )
    timeout: Duration = setting("Timeout of each network operation.", default="30s")
    # --- Slack ---------------------------------------------------------------------------
    slack_webhook: Url = setting("Slack incoming-webhook URL.", secret=True)
    slack_token: Secret = setting("Slack bot token (xoxb-...) for the Web API.")
    slack_channel: str = setting(
        "Channel for the Web API: a name (#deploys) or an ID. An update needs the ID "
        "(the slack-channel output of the earlier step)."
    )
    slack_update_ts: str = setting(
        "Update this earlier message (its slack-ts output) instead of posting a new one."
    )
    slack_thread_ts: str = setting("Post as a reply in the thread of this message.")
    slack_payload: Text = setting(
        "Custom Slack payload, JSON or YAML, inline or a file path; replaces the default "
        "message. Templating: {{ env.NAME }}, {{ github.NAME }}, {{ inputs.NAME }}."
    )
    template_env: list[str] = setting(
        "Environment variables that slack-payload may read as {{ env.NAME }}, besides the "
        "run's GITHUB_*/RUNNER_* context. GITHUB_TOKEN and names that look like credentials "
        "are readable only when listed here; inputs (INPUT_*, SHIPYARD_INPUT_*) never are."
    )
    slack_api_url: Url = setting(
        "Slack Web API root, for Slack-compatible servers.", default="https://slack.com/api"
    )
    # --- Email ---------------------------------------------------------------------------
    smtp_server: HostPort = setting("SMTP server as host or host:port.")
    smtp_security: SmtpSecurity = setting(
        "auto (implicit TLS on port 465, STARTTLS elsewhere), starttls, tls, or none "
        "(plain text; the only mode that may send credentials unencrypted).",
        default="auto",
    )
    smtp_username: str = setting("SMTP user name.")
    smtp_password: Secret = setting("SMTP password.")
    email_from: str = setting("Sender, e.g. 'Deploy Bot <deploy@example.com>'.")
    email_to: list[str] = setting("Recipients.")
    email_cc: list[str] = setting("Copy recipients.")
    email_bcc: list[str] = setting("Blind-copy recipients (never shown in the headers).")
    email_subject: str = setting("Subject. Empty: from the status and title.")
    email_reply_to: str = setting("Reply-To address.")
    email_attachments: list[str] = setting(
        "Files to attach: globs inside the workspace. A path outside it is refused."
    )
    # --- Generic webhook -----------------------------------------------------------------
    webhook_url: Url = setting(
        "Any URL that takes a JSON POST (Teams, Discord, Mattermost bridges, your own).",
        secret=True,
    )

    def __post_init__(self) -> None:
        validate(self)

    @property
    def attempts(self) -> int:
        """How many times a channel is tried: ``retries`` + 1."""
        return self.retries + 1

    @property
    def smtp(self) -> SmtpEndpoint:
        """Host, port and effective security mode of smtp-server (checked already)."""
        return smtp_endpoint(self.smtp_server, self.smtp_security)


SPEC = ActionSpec(
    name="notify",
    title="shipyard notify",
    description=(
        "Send one notification to Slack (webhook or bot token, a message updated from started "
        "to done, threads), email over SMTP (STARTTLS or implicit TLS) and a JSON webhook."
    ),
    branding=("bell", "blue"),
    settings=Settings,
    outputs=(
        Output("slack-ts", "Timestamp (ID) of the Slack message posted or updated (Web API)."),
        Output("slack-channel", "ID of the Slack channel of that message (Web API)."),
        Output("email-message-id", "Message-ID header of the email sent."),
        Output(
            "results",
            'JSON object: each configured channel and "sent" or "failed: <reason>".',
        ),
    ),
)
