"""The notify action's inputs and outputs: the contract, declared once."""

from __future__ import annotations

from shipyard.runtime import ActionSpec, Input, Output

STATUSES = ("success", "failure", "cancelled", "started", "skipped")

SPEC = ActionSpec(
    name="notify",
    title="shipyard notify",
    description=(
        "Send one notification to Slack (webhook or bot token, a message updated from started "
        "to done, threads), email over SMTP (STARTTLS or implicit TLS) and a JSON webhook."
    ),
    branding=("bell", "blue"),
    inputs=(
        Input(
            "status",
            "success, failure, cancelled, started, skipped, or free text. Default: the job's "
            "status (evaluated in the calling workflow, where it is reliable).",
            yaml_default="${{ job.status }}",
        ),
        Input("title", "Headline. Empty: e.g. 'Production Deployment Successful'."),
        Input("message", "Body text, in Markdown (converted for Slack and for HTML email)."),
        Input("environment", "Environment name shown in the message (e.g. production)."),
        Input("version", "Version shown in the message (e.g. v1.4.2)."),
        Input(
            "links",
            "Extra links as lines 'Label=https://...'. The workflow run link is always added.",
            kind="list",
        ),
        Input(
            "fail-on-error",
            "Fail the step (exit 3) when a channel could not be reached. Otherwise a failed "
            "channel is a warning.",
            kind="bool",
            default="false",
        ),
        Input(
            "retries",
            "Retries per channel on HTTP 429/5xx, connection errors and SMTP 4xx.",
            kind="int",
            default="3",
            minimum=0,
            maximum=10,
        ),
        Input("timeout", "Timeout of each network operation.", kind="duration", default="30s"),
        # --- Slack -----------------------------------------------------------------------
        Input("slack-webhook", "Slack incoming-webhook URL.", secret=True),
        Input("slack-token", "Slack bot token (xoxb-...) for the Web API.", secret=True),
        Input(
            "slack-channel",
            "Channel for the Web API: a name (#deploys) or an ID. An update needs the ID "
            "(the slack-channel output of the earlier step).",
        ),
        Input(
            "slack-update-ts",
            "Update this earlier message (its slack-ts output) instead of posting a new one.",
        ),
        Input("slack-thread-ts", "Post as a reply in the thread of this message."),
        Input(
            "slack-payload",
            "Custom Slack payload, JSON or YAML, inline or a file path; replaces the default "
            "message. Templating: {{ env.NAME }}, {{ github.NAME }}, {{ inputs.NAME }}.",
        ),
        Input(
            "template-env",
            "Environment variables that slack-payload may read as {{ env.NAME }}, besides the "
            "run's GITHUB_*/RUNNER_* context. GITHUB_TOKEN and names that look like credentials "
            "are readable only when listed here; inputs (INPUT_*, SHIPYARD_INPUT_*) never are.",
            kind="list",
        ),
        Input(
            "slack-api-url",
            "Slack Web API root, for Slack-compatible servers.",
            default="https://slack.com/api",
        ),
        # --- Email -----------------------------------------------------------------------
        Input("smtp-server", "SMTP server as host or host:port."),
        Input(
            "smtp-security",
            "auto (implicit TLS on port 465, STARTTLS elsewhere), starttls, tls, or none "
            "(plain text; the only mode that may send credentials unencrypted).",
            kind="enum",
            choices=("auto", "starttls", "tls", "none"),
            default="auto",
        ),
        Input("smtp-username", "SMTP user name."),
        Input("smtp-password", "SMTP password.", secret=True),
        Input("email-from", "Sender, e.g. 'Deploy Bot <deploy@example.com>'."),
        Input("email-to", "Recipients.", kind="list"),
        Input("email-cc", "Copy recipients.", kind="list"),
        Input("email-bcc", "Blind-copy recipients (never shown in the headers).", kind="list"),
        Input("email-subject", "Subject. Empty: from the status and title."),
        Input("email-reply-to", "Reply-To address."),
        Input(
            "email-attachments",
            "Files to attach: globs inside the workspace. A path outside it is refused.",
            kind="list",
        ),
        # --- Generic webhook -------------------------------------------------------------
        Input(
            "webhook-url",
            "Any URL that takes a JSON POST (Teams, Discord, Mattermost bridges, your own).",
            secret=True,
        ),
    ),
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
