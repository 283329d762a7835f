"""The steps of a single-image app: its containers started, checked, switched to, stopped,
and put back (pure). Each is a value as in :mod:`.steps`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import markers
from .render import ScriptRenderer, drain, quote, write_current
from .steps import RemoteStep, Reply, draining


def _names(names: Sequence[str]) -> str:
    return " ".join(quote(n) for n in names)


@dataclass(frozen=True)
class Start(RemoteStep[None]):
    """Start the release's replicas beside what runs now (blue-green, recreate; a rollback
    re-creating a release from its recorded ``image``)."""

    renderer: ScriptRenderer
    env: Mapping[str, str]
    image: str | None = None
    name: str = "start"

    def body(self) -> str:
        r = self.renderer
        body = r.env_file(self.env)
        for i, container in enumerate(r.names(), 1):
            body += r.start_container(container, r.release, i, self.image)
        return body

    def created(self, value: None) -> tuple[str, ...]:
        """Every replica of the release (whether or not the step got to each)."""
        return tuple(self.renderer.names())


@dataclass(frozen=True)
class Check(RemoteStep[None]):
    """Wait until each container answers its health check."""

    renderer: ScriptRenderer
    names: Sequence[str]
    name: str = "check"

    def body(self) -> str:
        return self.renderer.wait(self.names)


@dataclass(frozen=True)
class Switch(RemoteStep[tuple[str, ...]]):
    """Point the proxy at the containers of ``release`` and record it as the one serving; the
    value: nginx's workers of before the switch (``draining``), which a :class:`Stop` waits
    for."""

    renderer: ScriptRenderer
    release: str
    names: Sequence[str]
    name: str = "switch"

    def body(self) -> str:
        return self.renderer.switch(self.release, self.names) + write_current(self.release)

    def parse(self, reply: Reply) -> tuple[str, ...]:
        """nginx's workers of before the switch."""
        return draining(reply)


@dataclass(frozen=True)
class Replica(RemoteStep[None]):
    """Rolling: start new replica ``index`` (1-based), check it, put it in, take the old one
    out (drained, stopped); the last one also stops the old replicas beyond the new count."""

    renderer: ScriptRenderer
    env: Mapping[str, str]
    index: int
    old: Sequence[str]
    drain: float

    @property
    def name(self) -> str:  # type: ignore[override]
        """``replica-N``."""
        return f"replica-{self.index}"

    def body(self) -> str:
        r, index, old = self.renderer, self.index, self.old
        new = r.names()
        container = new[index - 1]
        serving = list(old[index:]) + new[:index]
        out = old[index - 1] if index - 1 < len(old) else None
        body = r.env_file(self.env) + r.start_container(container, r.release, index)
        body += r.wait([container]) + r.switch(r.release, serving)
        if index == len(new):
            body += write_current(r.release)
        if out:
            body += f"sleep {self.drain:g}\ndocker stop --time 10 {quote(out)} >/dev/null\n"
        for extra in old[len(new) :] if index == len(new) else []:
            body += f"docker stop --time 10 {quote(extra)} >/dev/null\n"
        return body

    def created(self, value: None) -> tuple[str, ...]:
        """The replica this step starts."""
        return (self.renderer.names()[self.index - 1],)


@dataclass(frozen=True)
class Stop(RemoteStep[None]):
    """Drain (``drain`` seconds), then stop ``names`` (and append ``audit_json`` to the audit
    log): the old release after the watch, before a recreate, after a rollback. With
    ``workers`` (nginx's workers of before the switch, as the switch step named them) the
    drain ends as soon as they have finished their requests and exited."""

    renderer: ScriptRenderer
    names: Sequence[str]
    drain: float = 0
    audit_json: str = ""
    name: str = "stop-old"
    workers: Sequence[str] | None = None

    def body(self) -> str:
        body = ""
        if self.drain > 0 and self.names:
            body = (
                drain(self.drain, self.workers)
                if self.workers is not None
                else f"sleep {self.drain:g}\n"
            )
        if self.names:
            body += f"docker stop --time 10 {_names(self.names)} >/dev/null 2>&1 || true\n"
        if self.audit_json:
            body += f"printf '%s\\n' {quote(self.audit_json)} >>\"$STATE/audit.log\"\n"
        return body + f"say {markers.STOPPED}\n"


@dataclass(frozen=True)
class Revert(RemoteStep[None]):
    """Put the old release back: start its containers and wait until they answer (before any
    traffic moves), switch to them, then, when the new release took traffic (``drain`` > 0),
    let nginx's workers of before the switch finish their requests to it (at most ``drain``
    seconds) before the new containers are removed. Idempotent: a failed attempt can be made
    again."""

    renderer: ScriptRenderer
    old_release: str
    old: Sequence[str]
    new: Sequence[str]
    name: str = "rollback"
    drain: float = 0

    def body(self) -> str:
        r, body = self.renderer, ""
        if self.old:
            body += f"docker start {_names(self.old)} >/dev/null\n" + r.wait(self.old)
            body += r.switch(self.old_release, self.old)
            body += write_current(self.old_release)
            if self.new:
                body += drain(self.drain)
        if self.new:
            body += f"docker rm --force {_names(self.new)} >/dev/null 2>&1 || true\n"
        return body + f"say {markers.REVERTED}\n"


@dataclass(frozen=True)
class BringBack(RemoteStep[tuple[str, ...]]):
    """Start a kept (stopped) release's containers again, check them and switch to them (a
    rollback in one round trip); the value: nginx's workers of before the switch."""

    renderer: ScriptRenderer
    release: str
    names: Sequence[str]
    name: str = "switch"

    def body(self) -> str:
        r = self.renderer
        return (
            f"docker start {_names(self.names)} >/dev/null\n"
            + r.wait(self.names)
            + r.switch(self.release, self.names)
            + write_current(self.release)
        )

    def parse(self, reply: Reply) -> tuple[str, ...]:
        """nginx's workers of before the switch."""
        return draining(reply)
