"""The image's size from its registry manifest, for the disk check before the pull (adapter).

One question only: how many compressed bytes (config and layers) the image has. The manifest
is read with the registry v2 API through the runtime's HTTP client, answering the registry's
``WWW-Authenticate`` challenge: HTTP Basic, or a Bearer token from the realm it names, with
``registry-username``/``registry-password`` when given (sent in clear text only to the
registry's own host or from loopback to loopback). A multi-platform index counts its largest
platform. Anything that goes wrong is an answer too: the size is then unknown, and the check
falls back to ``min-free-space``.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from shipyard.runtime import ShipyardError

if TYPE_CHECKING:
    import requests

    from shipyard.runtime import HttpClient

ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
MAX_PLATFORMS = 8
_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class ImageRef:
    """An image reference split for the registry API."""

    registry: str  # host[:port] as docker names it (docker.io for Docker Hub)
    repository: str
    reference: str  # a tag or a digest

    @classmethod
    def parse(cls, image: str) -> ImageRef:
        """``[registry/]repository[:tag][@digest]`` as docker reads it."""
        name, _, digest = image.partition("@")
        first, _, rest = name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            registry, path = first, rest
        else:
            registry, path = "docker.io", name
            if "/" not in path:
                path = "library/" + path
        tag = ""
        last = path.rsplit("/", 1)[-1]
        if ":" in last:
            path, tag = path.rsplit(":", 1)
        return cls(registry, path, digest or tag or "latest")

    @property
    def api_base(self) -> str:
        """The registry API's base URL (plain HTTP on loopback, as dockerd allows)."""
        host = "registry-1.docker.io" if self.registry == "docker.io" else self.registry
        return ("http://" if is_loopback(host) else "https://") + host


def is_loopback(host_port: str) -> bool:
    """localhost or a loopback address (with or without a port)."""
    host = urlsplit("//" + host_port).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Registry:
    """The manifests of one repository, authenticated as the registry asks."""

    def __init__(
        self, http: HttpClient, ref: ImageRef, auth: tuple[str, str], mask: Callable[[str], None]
    ) -> None:
        self.http, self.ref, self.auth, self.mask = http, ref, auth, mask
        self.header: dict[str, str] = {}

    def _basic(self) -> dict[str, str]:
        if not self.auth[0]:
            return {}
        pair = f"{self.auth[0]}:{self.auth[1]}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def _answer(self, challenge: str) -> dict[str, str]:
        scheme, _, rest = challenge.strip().partition(" ")
        params = dict(_PARAM.findall(rest))
        if scheme.lower() == "basic":
            return self._basic()
        realm = params.get("realm", "")
        registry_host = urlsplit(self.ref.api_base).hostname or ""
        realm_host = urlsplit(realm).hostname or ""
        clear = realm.startswith("http://") and not (
            realm_host == registry_host or (is_loopback(realm_host) and is_loopback(registry_host))
        )
        if not realm.startswith(("https://", "http://")) or clear:
            raise ValueError("the registry named a token service that cannot be used")
        query = {"scope": f"repository:{self.ref.repository}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        answer = self.http.request("GET", url, headers=self._basic(), describe="registry token")
        answer.raise_for_status()
        data = answer.json()
        token = str(data.get("token") or data.get("access_token") or "")
        if not token:
            raise ValueError("the token service returned no token")
        self.mask(token)
        return {"Authorization": f"Bearer {token}"}

    def manifest(self, reference: str) -> dict[str, Any]:
        """The manifest (or index) at ``reference``."""
        url = f"{self.ref.api_base}/v2/{self.ref.repository}/manifests/{reference}"
        headers = {"Accept": ACCEPT}
        response = self._get(url, headers)
        if response.status_code == 401 and not self.header:
            self.header = self._answer(response.headers.get("WWW-Authenticate", ""))
            response = self._get(url, headers)
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise ValueError("the manifest is not a JSON object")
        return data

    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        return self.http.request(
            "GET", url, headers={**headers, **self.header}, describe="registry manifest"
        )


def _size(document: dict[str, Any]) -> int:
    config = document.get("config") or {}
    layers = document.get("layers") or []
    return int(config.get("size", 0)) + sum(int(layer.get("size", 0)) for layer in layers)


def image_size(
    http: HttpClient, image: str, username: str, password: str, mask: Callable[[str], None]
) -> tuple[int | None, str]:
    """(compressed bytes of ``image``, '') or (None, why it is not known)."""
    import requests

    try:
        registry = _Registry(http, ImageRef.parse(image), (username, password), mask)
        top = registry.manifest(registry.ref.reference)
        if "manifests" not in top:
            return _size(top), ""
        sizes = [
            _size(registry.manifest(str(entry["digest"])))
            for entry in top["manifests"][:MAX_PLATFORMS]
            if (entry.get("platform") or {}).get("os", "unknown") != "unknown"
        ]
        return (max(sizes), "") if sizes else (None, "the index lists no platform image")
    except (ShipyardError, requests.RequestException, ValueError, KeyError, TypeError) as exc:
        return None, _reason(exc)


def _reason(exc: Exception) -> str:
    """Why the size is unknown, without a URL (which may carry a token)."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"the registry answered HTTP {exc.response.status_code}"
    if isinstance(exc, ShipyardError):
        return str(exc).split(" after ")[0]
    return type(exc).__name__ + (f": {exc}" if isinstance(exc, ValueError) else "")
