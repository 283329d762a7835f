"""The ``api.*`` and ``auth.*`` Web API methods: ``api.test`` (no token needed; echoes its
arguments, or fails with the ``error`` it is given) and ``auth.test`` (who the token is: team,
user, bot)."""

from __future__ import annotations

from typing import Any

from tests.services.slack_api.core import SlackCore
from tests.services.slack_api.model import Identity
from tests.services.slack_api.wire import SlackApiCallError, WebMethod


class AuthApi(SlackCore):
    """``api.test`` and ``auth.test``."""

    def _web_methods(self) -> dict[str, WebMethod]:
        return {
            **super()._web_methods(),
            "api.test": WebMethod(self._api_test, authenticated=False),
            "auth.test": WebMethod(self._auth_test),
        }

    def _api_test(self, identity: Identity | None, args: dict[str, Any]) -> dict[str, Any]:
        if "error" in args:
            raise SlackApiCallError(str(args["error"]), args={"error": args["error"]})
        return {"args": {k: v for k, v in args.items() if k not in ("token", "__json__")}}

    def _auth_test(self, identity: Identity | None, args: dict[str, Any]) -> dict[str, Any]:
        assert identity is not None
        result: dict[str, Any] = {
            "url": f"https://{self.TEAM_DOMAIN}.slack.com/",
            "team": self.TEAM_NAME,
            "user": identity.user_name,
            "team_id": self.TEAM_ID,
            "user_id": identity.user_id,
        }
        if identity.bot_id:
            result["bot_id"] = identity.bot_id
        result["is_enterprise_install"] = False
        return result
