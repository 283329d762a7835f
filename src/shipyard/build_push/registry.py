"""The registry adapter: the OCI distribution (registry v2) API through the runtime's HttpClient.

What the action asks a registry: do these credentials work (``ping``), may they push
(``check_push``: open a blob upload and cancel it), which tags exist (``tags``, paginated),
and what a manifest or index holds (``manifest``, ``platform_images``). Authentication follows
the registry's ``WWW-Authenticate`` challenge: HTTP Basic (a plain registry with htpasswd), or
a Bearer token from the realm it names (Docker Hub, ghcr.io and most others), requested with
the user's credentials and the scope the call needs. Tokens are masked as soon as they arrive.
Retries on 429/5xx/connection errors come from the HttpClient; a registry that stays down
raises ExternalError (exit 3).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

from shipyard.runtime import SYSTEM_CLOCK, Clock, ConfigError, ExternalError, HttpClient
from shipyard.runtime.network import url_problem

from .images import is_loopback

if TYPE_CHECKING:
    import requests

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
INDEX_TYPES = frozenset(MANIFEST_TYPES[:2])
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
#: The token spec's lifetime when a token server gives no expires_in.
DEFAULT_TOKEN_LIFETIME = 60.0
#: A token is renewed this long before it expires (a push of a large layer takes a while).
TOKEN_MARGIN = 10.0


@dataclass(frozen=True)
class Credentials:
    """A user name and password (or token) for one registry, and where they came from."""

    username: str
    password: str = field(repr=False)
    #: For messages: "registry-username", "registry-logins", "job token", "docker config".
    source: str = "registry-username"


class RegistryDenied(Exception):
    """The registry answered 401/403 to a call: the credentials or their rights are wrong."""

    def __init__(self, status: int, action: str, repository: str = "", detail: str = "") -> None:
        super().__init__(f"HTTP {status} on {action} {repository}".strip())
        self.status = status
        self.action = action
        self.repository = repository
        self.detail = detail


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry returned it: digest, media type and the JSON document."""

    digest: str
    media_type: str
    document: dict[str, Any]

    @property
    def is_index(self) -> bool:
        """Whether it is a multi-platform index (or a manifest list)."""
        return self.media_type in INDEX_TYPES or "manifests" in self.document


@dataclass(frozen=True)
class PlatformImage:
    """One platform's image inside a pushed tag: its manifest digest and compressed size."""

    platform: str
    digest: str
    size: int


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="...",service="...",scope="..."`` -> ("bearer", {...})."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE_PARAM.findall(rest))


def _error_detail(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:200]
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return f"{first.get('code', '')}: {first.get('message', '')}".strip(": ")
    if isinstance(data, dict) and data.get("details"):
        return str(data["details"])[:200]
    return ""


class RegistryClient:
    """The registry API of one registry host, with one set of credentials (or none)."""

    def __init__(
        self,
        http: HttpClient,
        registry: str,
        api_base: str,
        credentials: Credentials | None = None,
        mask: Callable[[str], None] | None = None,
    ) -> None:
        self.http = http
        self.registry = registry
        self.api_base = api_base.rstrip("/")
        self.credentials = credentials
        self.mask = mask or (lambda _secret: None)
        self.clock: Clock = SYSTEM_CLOCK
        #: scope -> (token, the clock time after which it is renewed before use)
        self._tokens: dict[str, tuple[str, float]] = {}
        self._basic = False

    # -- authentication ------------------------------------------------------------------
    def _basic_header(self) -> dict[str, str]:
        if not self.credentials:
            return {}
        pair = f"{self.credentials.username}:{self.credentials.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def _auth_header(self, scope: str) -> dict[str, str]:
        if self._basic:
            return self._basic_header()
        cached = self._tokens.get(scope)
        if cached is None:
            return {}
        token, renew_after = cached
        if self.clock.now() >= renew_after:
            # Expired (or about to): send none, so the registry's challenge renews it.
            del self._tokens[scope]
            return {}
        return {"Authorization": f"Bearer {token}"}

    def _check_realm(self, realm: str) -> None:
        """Basic credentials go to a token realm over HTTPS, or over plain HTTP only on the
        registry's own host (or from loopback to loopback): a registry must not be able to
        have them sent in clear text elsewhere."""
        if not self.credentials or not realm.startswith("http://"):
            return
        realm_host = (urlsplit(realm).hostname or "").lower()
        registry_host = (urlsplit(self.api_base).hostname or "").lower()
        # Loopback to loopback never leaves the machine (a local registry and token server).
        local = is_loopback(realm_host) and is_loopback(registry_host)
        if realm_host != registry_host and not local:
            raise ConfigError(
                f"{self.registry} asked for a token from {realm_host} over plain HTTP; the "
                f"credentials of {self.credentials.username} were not sent there.",
                title="Insecure token service",
                hint="A registry's token service on another host must use HTTPS. Check the "
                "registry's auth.token.realm setting (or the image name).",
            )

    def _token(self, params: dict[str, str], scope: str, action: str, repository: str) -> str:
        realm = params.get("realm", "")
        problem = url_problem(realm)
        if problem:  # the registry's answer, not an input: never quoted
            raise ExternalError(
                f"{self.registry} asked for a token from an address that {problem}.",
                title="Registry error",
            )
        self._check_realm(realm)
        query: dict[str, str] = {}
        if params.get("service"):
            query["service"] = params["service"]
        wanted = scope or params.get("scope", "")
        if wanted:
            query["scope"] = wanted
        if self.credentials:
            query["account"] = self.credentials.username
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        response = self.http.request(
            "GET", url, headers=self._basic_header(), describe=f"token request to {self.registry}"
        )
        if response.status_code in (401, 403):
            raise RegistryDenied(response.status_code, "login", repository, _error_detail(response))
        if response.status_code != 200:
            raise ExternalError(
                f"{self.registry}: the token service answered HTTP {response.status_code} "
                f"({_error_detail(response)}).",
                title="Registry error",
            )
        try:
            data = response.json()
        except ValueError:
            data = {}
        token = str(data.get("token") or data.get("access_token") or "")
        if not token:
            raise ExternalError(
                f"{self.registry}: the token service returned no token.", title="Registry error"
            )
        self.mask(token)
        lifetime = _lifetime(data)
        renew_after = self.clock.now() + max(lifetime - TOKEN_MARGIN, lifetime / 2)
        self._tokens[scope] = (token, renew_after)
        return token

    def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        scope: str,
        action: str,
        repository: str = "",
        headers: dict[str, str] | None = None,
        allow: tuple[int, ...] = (),
    ) -> requests.Response:
        """Send with the right authorization; answer a 401 challenge once. 401/403 (unless
        in ``allow``) raise RegistryDenied."""
        url = path_or_url if "://" in path_or_url else self.api_base + path_or_url
        describe = f"{method} {self.registry} registry API"
        base_headers = dict(headers or {})
        response = self.http.request(
            method,
            url,
            headers={**base_headers, **self._auth_header(scope)},
            describe=describe,
            source="images",
        )
        if response.status_code == 401:
            scheme, params = parse_challenge(response.headers.get("WWW-Authenticate", ""))
            retry_headers: dict[str, str] | None = None
            if scheme == "basic" and self.credentials and not self._basic:
                self._basic = True
                retry_headers = self._basic_header()
            elif scheme == "bearer":
                token = self._token(params, scope, action, repository)
                retry_headers = {"Authorization": f"Bearer {token}"}
            if retry_headers is not None:
                response = self.http.request(
                    method, url, headers={**base_headers, **retry_headers}, describe=describe
                )
        if response.status_code in (401, 403) and response.status_code not in allow:
            raise RegistryDenied(response.status_code, action, repository, _error_detail(response))
        if response.status_code >= 500 or response.status_code == 429:
            # The HttpClient already retried: the registry stays unavailable.
            raise ExternalError(
                f"{self.registry} kept answering HTTP {response.status_code} to {method} "
                f"{url.removeprefix(self.api_base).split('?', 1)[0]} after "
                f"{self.http.retry.attempts} attempts ({_error_detail(response)}).",
                title="Registry unavailable",
                hint="The registry has a problem; run the job again later.",
            )
        return response

    # -- calls ----------------------------------------------------------------------------
    def ping(self) -> None:
        """Check that the credentials (or anonymous access) are accepted: GET /v2/."""
        response = self._request("GET", "/v2/", scope="", action="login")
        if response.status_code >= 400:
            raise ExternalError(
                f"{self.registry} answered HTTP {response.status_code} to GET /v2/; is it a "
                "container registry?",
                title="Registry error",
            )

    def check_push(self, repository: str) -> None:
        """Start a blob upload (what a push does first) and cancel it: proves push rights."""
        response = self._request(
            "POST",
            f"/v2/{repository}/blobs/uploads/",
            scope=f"repository:{repository}:pull,push",
            action="push",
            repository=repository,
        )
        if response.status_code not in (201, 202):
            if response.status_code >= 500:
                raise ExternalError(
                    f"{self.registry}: starting an upload to {repository} failed with HTTP "
                    f"{response.status_code}.",
                    title="Registry error",
                )
            raise RegistryDenied(response.status_code, "push", repository, _error_detail(response))
        location = response.headers.get("Location", "")
        if location and response.status_code == 202:
            # An upload left open expires on its own: a failed cancel is no problem.
            with contextlib.suppress(ExternalError):
                self._request(
                    "DELETE",
                    urljoin(self.api_base + "/", location),
                    scope=f"repository:{repository}:pull,push",
                    action="push",
                    repository=repository,
                    allow=(401, 403),
                )

    def tags(self, repository: str) -> list[str]:
        """Every tag of the repository (empty when it does not exist yet)."""
        found: list[str] = []
        url = f"/v2/{repository}/tags/list?n=1000"
        for _page in range(100):
            response = self._request(
                "GET",
                url,
                scope=f"repository:{repository}:pull",
                action="pull",
                repository=repository,
            )
            if response.status_code == 404:
                return found
            if response.status_code != 200:
                raise ExternalError(
                    f"{self.registry}: listing the tags of {repository} failed with HTTP "
                    f"{response.status_code} ({_error_detail(response)}).",
                    title="Registry error",
                )
            data = response.json()
            found.extend(str(tag) for tag in (data.get("tags") or []))
            link = _LINK_NEXT.search(response.headers.get("Link", ""))
            if not link:
                break
            url = urljoin(self.api_base + "/", link.group(1))
        return found

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        """The manifest or index at a tag or digest; None when there is none."""
        response = self._request(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            scope=f"repository:{repository}:pull",
            action="pull",
            repository=repository,
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ExternalError(
                f"{self.registry}: reading {repository}:{reference} failed with HTTP "
                f"{response.status_code} ({_error_detail(response)}).",
                title="Registry error",
            )
        body = response.content
        digest = response.headers.get("Docker-Content-Digest") or (
            "sha256:" + hashlib.sha256(body).hexdigest()
        )
        document = json.loads(body)
        media_type = str(
            document.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0]
        )
        return Manifest(digest, media_type, document)

    def blob_json(self, repository: str, digest: str) -> dict[str, Any]:
        """A blob (an image config) read as JSON."""
        response = self._request(
            "GET",
            f"/v2/{repository}/blobs/{digest}",
            scope=f"repository:{repository}:pull",
            action="pull",
            repository=repository,
        )
        if response.status_code != 200:
            raise ExternalError(
                f"{self.registry}: reading blob {digest} of {repository} failed with HTTP "
                f"{response.status_code}.",
                title="Registry error",
            )
        data = response.json()
        return data if isinstance(data, dict) else {}

    def platform_images(self, repository: str, reference: str) -> tuple[str, list[PlatformImage]]:
        """(digest of the tag, its platform images with compressed sizes). Attestation
        manifests (platform unknown/unknown) are left out."""
        top = self.manifest(repository, reference)
        if top is None:
            raise ExternalError(
                f"{self.registry}/{repository}:{reference} is not in the registry after the push.",
                title="Registry error",
            )
        images: list[PlatformImage] = []
        if top.is_index:
            for entry in top.document.get("manifests", []):
                platform = entry.get("platform") or {}
                name = "/".join(
                    part
                    for part in (
                        platform.get("os", ""),
                        platform.get("architecture", ""),
                        platform.get("variant", ""),
                    )
                    if part
                )
                if not name or name == "unknown/unknown":
                    continue
                child = self.manifest(repository, str(entry["digest"]))
                size = _image_size(child.document) if child else int(entry.get("size", 0))
                images.append(PlatformImage(name, str(entry["digest"]), size))
        else:
            config = top.document.get("config") or {}
            data = self.blob_json(repository, str(config.get("digest", ""))) if config else {}
            name = "/".join(
                part
                for part in (
                    str(data.get("os", "")),
                    str(data.get("architecture", "")),
                    str(data.get("variant", "")),
                )
                if part
            )
            images.append(PlatformImage(name or "unknown", top.digest, _image_size(top.document)))
        return top.digest, images


def _lifetime(data: dict[str, Any]) -> float:
    """How long a token lives: ``expires_in`` (the token spec's default: 60 s)."""
    try:
        seconds = float(data.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
    except (TypeError, ValueError):
        seconds = DEFAULT_TOKEN_LIFETIME
    return max(seconds, 1.0)


def _image_size(document: dict[str, Any]) -> int:
    """Compressed size of an image: its config and layers as the manifest lists them."""
    config = document.get("config") or {}
    layers = document.get("layers") or []
    return int(config.get("size", 0)) + sum(int(layer.get("size", 0)) for layer in layers)


def human_size(size: int) -> str:
    """A byte count for people: ``512 B``, ``1.5 MB``."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
