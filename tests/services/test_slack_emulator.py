"""The Slack emulator, driven by the real slack_sdk clients and by plain requests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]
TS = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def slack(slack_emulator: SlackEmulator) -> SlackEmulator:
    slack_emulator.add_channel("deploys", "C0DEPLOYS01")
    return slack_emulator


def client(slack: SlackEmulator, token: str = DEFAULT_TOKEN, **kwargs: object) -> WebClient:
    return WebClient(token=token, base_url=slack.api_url, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- Web API


@pytest.mark.parametrize("channel", ["#deploys", "deploys", "C0DEPLOYS01"])
def test_post_message_accepts_name_or_id(slack: SlackEmulator, channel: str) -> None:
    response = client(slack).chat_postMessage(channel=channel, text="v1.2.3 deployed")

    assert response["ok"] is True
    assert response["channel"] == "C0DEPLOYS01"
    assert TS.match(response["ts"])
    assert response["message"]["text"] == "v1.2.3 deployed"
    assert response["message"]["bot_id"].startswith("B")
    [stored] = slack.messages("#deploys")
    assert stored["ts"] == response["ts"]
    assert stored["text"] == "v1.2.3 deployed"


def test_ts_values_are_unique_and_increasing(slack: SlackEmulator) -> None:
    web = client(slack)
    stamps = [web.chat_postMessage(channel="deploys", text=str(i))["ts"] for i in range(20)]
    assert len(set(stamps)) == 20
    assert stamps == sorted(stamps, key=float)


def test_thread_reply_and_update_keep_history(slack: SlackEmulator) -> None:
    web = client(slack)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Deploying* v2"}}]
    parent = web.chat_postMessage(channel="#deploys", text="Deploying v2", blocks=blocks)
    reply = web.chat_postMessage(channel="#deploys", text="step 1 ok", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]

    updated = web.chat_update(channel=parent["channel"], ts=parent["ts"], text="Deployed v2")

    assert updated["ts"] == parent["ts"]
    assert updated["text"] == "Deployed v2"
    assert updated["message"]["edited"]["user"] == parent["message"]["user"]
    stored = slack.message("deploys", parent["ts"])
    assert stored["text"] == "Deployed v2"
    assert stored["blocks"] == blocks  # chat.update without blocks keeps them
    assert [v["text"] for v in stored["history"]] == ["Deploying v2"]
    assert [m["text"] for m in slack.thread("deploys", parent["ts"])] == ["step 1 ok"]
    assert [m["text"] for m in slack.messages("deploys", replies=False)] == ["Deployed v2"]


def test_update_needs_a_channel_id_like_slack(slack: SlackEmulator) -> None:
    web = client(slack)
    posted = web.chat_postMessage(channel="#deploys", text="hello")
    with pytest.raises(SlackApiError) as caught:
        web.chat_update(channel="#deploys", ts=posted["ts"], text="edited")
    assert caught.value.response["error"] == "channel_not_found"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "#nowhere", "text": "x"}, "channel_not_found"),
        ({"channel": "#deploys"}, "no_text"),
        ({"channel": "#deploys", "blocks": [{"text": "no type"}]}, "invalid_blocks"),
        ({"channel": "#deploys", "blocks": [{"type": "bogus"}]}, "invalid_blocks"),
        ({"channel": "#deploys", "blocks": [{"type": "header", "text": {}}]}, "invalid_blocks"),
        ({"channel": "#deploys", "blocks": "not json"}, "invalid_blocks_format"),
    ],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_errors(slack: SlackEmulator, kwargs: dict[str, object], error: str) -> None:
    with pytest.raises(SlackApiError) as caught:
        client(slack).chat_postMessage(**kwargs)  # type: ignore[arg-type]
    assert caught.value.response.status_code == 200
    assert caught.value.response["ok"] is False
    assert caught.value.response["error"] == error
    assert slack.messages("deploys") == []


def test_invalid_blocks_carry_slack_style_messages(slack: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as caught:
        client(slack).chat_postMessage(channel="#deploys", text="x", blocks=[{"type": "section"}])
    [message] = caught.value.response["response_metadata"]["messages"]
    assert message.startswith("[ERROR]") and "json-pointer:/blocks/0" in message


def test_auth_errors(slack: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as caught:
        client(slack, token="xoxb-wrong").chat_postMessage(channel="#deploys", text="x")
    assert caught.value.response["error"] == "invalid_auth"

    raw = requests.post(f"{slack.api_url}chat.postMessage", json={"channel": "#deploys"})
    assert raw.status_code == 200
    assert raw.json() == {"ok": False, "error": "not_authed"}

    # In a JSON body Slack ignores a token field: it must come in the header.
    raw = requests.post(
        f"{slack.api_url}chat.postMessage",
        json={"token": DEFAULT_TOKEN, "channel": "#deploys", "text": "x"},
    )
    assert raw.json()["error"] == "not_authed"


def test_update_errors(slack: SlackEmulator) -> None:
    web = client(slack)
    human_ts = slack.post_message("deploys", "written by a person")
    with pytest.raises(SlackApiError) as caught:
        web.chat_update(channel="C0DEPLOYS01", ts=human_ts, text="hijack")
    assert caught.value.response["error"] == "cant_update_message"
    with pytest.raises(SlackApiError) as caught:
        web.chat_update(channel="C0DEPLOYS01", ts="1700000000.000100", text="x")
    assert caught.value.response["error"] == "message_not_found"
    assert slack.message("deploys", human_ts)["history"] == []


def test_form_encoded_post_with_token_field(slack: SlackEmulator) -> None:
    raw = requests.post(
        f"{slack.api_url}chat.postMessage",
        data={
            "token": DEFAULT_TOKEN,
            "channel": "deploys",
            "text": "form",
            "blocks": '[{"type": "divider"}]',
        },
    )
    body = raw.json()
    assert body["ok"] is True, body
    assert slack.message("deploys", body["ts"])["blocks"] == [{"type": "divider"}]


def test_auth_test_and_conversations_info(slack: SlackEmulator) -> None:
    web = client(slack)
    auth = web.auth_test()
    assert auth["team_id"] == SlackEmulator.TEAM_ID
    assert auth["user_id"].startswith("U") and auth["bot_id"].startswith("B")

    info = web.conversations_info(channel="C0DEPLOYS01")
    assert info["channel"]["name"] == "deploys"
    with pytest.raises(SlackApiError) as caught:
        web.conversations_info(channel="#deploys")
    assert caught.value.response["error"] == "channel_not_found"


def test_archived_and_not_member_channels(slack: SlackEmulator) -> None:
    slack.add_channel("old", archived=True)
    slack.add_channel("private-ops", private=True, member=False)
    web = client(slack)
    for channel, error in (("#old", "is_archived"), ("#private-ops", "not_in_channel")):
        with pytest.raises(SlackApiError) as caught:
            web.chat_postMessage(channel=channel, text="x")
        assert caught.value.response["error"] == error


def test_requests_are_recorded_with_headers(slack: SlackEmulator) -> None:
    client(slack).chat_postMessage(channel="#deploys", text="hi")
    [recorded] = slack.requests_to("/api/chat.postMessage")
    assert recorded.method == "POST"
    assert recorded.header("authorization") == f"Bearer {DEFAULT_TOKEN}"
    assert recorded.token == DEFAULT_TOKEN
    assert recorded.json == {"channel": "#deploys", "text": "hi"}
    assert recorded.status == 200


# ------------------------------------------------------------------------------ webhooks


def test_webhook_client_posts_to_its_channel(slack: SlackEmulator) -> None:
    url = slack.add_webhook(channel="#deploys")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*done*"}}]

    response = WebhookClient(url).send(text="deployed", blocks=blocks)

    assert (response.status_code, response.body) == (200, "ok")
    [message] = slack.messages("deploys")
    assert message["text"] == "deployed"
    assert message["blocks"] == blocks
    assert message["source"] == "webhook"


def test_webhook_creates_unknown_channel_and_supports_threads(slack: SlackEmulator) -> None:
    url = slack.add_webhook(channel="#releases")
    parent = slack.post_message("releases", "release thread")
    assert WebhookClient(url).send_dict({"text": "reply", "thread_ts": parent}).body == "ok"
    assert [m["text"] for m in slack.thread("#releases", parent)] == ["reply"]


def test_webhook_errors(slack: SlackEmulator) -> None:
    url = slack.add_webhook(channel="#deploys")
    unknown = url.rsplit("/", 1)[0] + "/wrongsecret"
    gone = WebhookClient(unknown).send(text="x")
    assert (gone.status_code, gone.body) == (404, "no_service")

    bad_json = requests.post(url, data="{not json", headers={"Content-Type": "application/json"})
    assert (bad_json.status_code, bad_json.text) == (400, "invalid_payload")

    empty = WebhookClient(url).send_dict({"username": "nobody"})
    assert (empty.status_code, empty.body) == (400, "missing_text_or_fallback_or_attachments")

    bad_blocks = WebhookClient(url).send_dict({"blocks": [{"no": "type"}]})
    assert (bad_blocks.status_code, bad_blocks.body) == (400, "invalid_blocks")
    assert slack.messages("deploys") == []


def test_webhook_accepts_form_payload(slack: SlackEmulator) -> None:
    url = slack.add_webhook(channel="#deploys")
    response = requests.post(url, data={"payload": '{"text": "legacy form"}'})
    assert (response.status_code, response.text) == (200, "ok")
    assert slack.messages("deploys")[0]["text"] == "legacy form"


# ------------------------------------------------------------------------ fault injection


def test_429_surfaces_as_ratelimited_without_retry_handler(slack: SlackEmulator) -> None:
    slack.fail_next(1, status=429, retry_after=7, path="/api/chat.postMessage")
    with pytest.raises(SlackApiError) as caught:
        client(slack).chat_postMessage(channel="#deploys", text="x")
    assert caught.value.response.status_code == 429
    assert caught.value.response["error"] == "ratelimited"
    assert caught.value.response.headers["retry-after"] in ("7", ["7"])


def test_rate_limit_retry_handler_retries_after_429(slack: SlackEmulator) -> None:
    slack.fail_next(2, status=429, retry_after=0, path="/api/chat.postMessage")
    web = client(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])

    response = web.chat_postMessage(channel="#deploys", text="eventually")

    assert response["ok"] is True
    statuses = [r.status for r in slack.requests_to("/api/chat.postMessage")]
    assert statuses == [429, 429, 200]
    assert len(slack.messages("deploys")) == 1


def test_webhook_retries_after_429_and_503(slack: SlackEmulator) -> None:
    url = slack.add_webhook(channel="#deploys")
    slack.fail_next(1, status=429, retry_after=0, path="/services/*")
    slack.fail_next(1, status=503, path="/services/*")
    hook = WebhookClient(
        url,
        retry_handlers=[
            # slack_sdk counts attempts across handlers: each needs room for both.
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(
                max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.05)
            ),
        ],
    )
    assert hook.send(text="made it").status_code == 200
    assert [r.status for r in slack.requests] == [429, 503, 200]


def test_server_errors_and_dropped_connections(slack: SlackEmulator) -> None:
    slack.fail_next(1, status=502)
    with pytest.raises(SlackApiError) as caught:
        client(slack).auth_test()
    assert caught.value.response.status_code == 502

    slack.drop_next(1, mode="reset")
    slack.drop_next(1, mode="close")
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{slack.api_url}auth.test", headers={"Connection": "close"})
    assert [r.fault for r in slack.requests[-2:]] == ["reset", "close"]
    assert client(slack).auth_test()["ok"] is True


def test_faults_only_hit_matching_paths(slack: SlackEmulator) -> None:
    slack.fail_next(1, status=500, path="/api/chat.update")
    web = client(slack)
    posted = web.chat_postMessage(channel="#deploys", text="a")
    with pytest.raises(SlackApiError):
        web.chat_update(channel=posted["channel"], ts=posted["ts"], text="b")
    assert web.chat_update(channel=posted["channel"], ts=posted["ts"], text="b")["ok"]


# --------------------------------------------------------------------- control endpoints


def test_control_endpoints(slack: SlackEmulator) -> None:
    control = f"{slack.url}/_emulator"
    url = requests.post(f"{control}/webhooks", json={"channel": "#ops"}).json()["url"]
    assert requests.post(url, json={"text": "via control"}).text == "ok"
    requests.post(f"{control}/faults", json={"count": 1, "status": 503, "path": "/services/*"})
    assert requests.post(url, json={"text": "again"}).status_code == 503

    messages = requests.get(f"{control}/messages", params={"channel": "#ops"}).json()
    assert [m["text"] for m in messages] == ["via control"]
    recorded = requests.get(f"{control}/requests").json()
    assert [r["status"] for r in recorded] == [200, 503]
    assert recorded[0]["json"] == {"text": "via control"}

    assert requests.post(f"{control}/reset").json() == {"ok": True}
    assert requests.get(f"{control}/requests").json() == []
    assert requests.post(url, json={"text": "gone"}).status_code == 404


def test_cli_serves_until_killed() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.services.slack_emulator",
            "--port",
            "0",
            "--token",
            "xoxb-cli",
            "--channel",
            "deploys=C0CLI00001",
            "--webhook",
            "T1/B1/s3cret=#deploys",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().split()[-1]
        hook = process.stdout.readline().split()[-1]
        assert hook == f"{base}/services/T1/B1/s3cret"
        assert requests.post(hook, json={"text": "from cli"}, timeout=5).text == "ok"
        web = WebClient(token="xoxb-cli", base_url=f"{base}/api/")
        assert web.chat_postMessage(channel="C0CLI00001", text="x")["channel"] == "C0CLI00001"
        messages = requests.get(f"{base}/_emulator/messages", timeout=5).json()
        assert [m["text"] for m in messages] == ["from cli", "x"]
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_standalone_start_stop() -> None:
    with SlackEmulator(channels={"general": "C0GENERAL1"}) as emulator:
        web = WebClient(token=DEFAULT_TOKEN, base_url=emulator.api_url)
        assert web.chat_postMessage(channel="general", text="x")["channel"] == "C0GENERAL1"
        url = emulator.url
    with pytest.raises(requests.ConnectionError) as refused:
        requests.get(f"{url}/_emulator/requests", timeout=2)
    # refused at once, not a server that hangs until the client gives up
    assert not isinstance(refused.value, requests.Timeout)
