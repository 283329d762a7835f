"""Golden snapshots of every remote step's script, string for string (as Kamal tests its
command builders), with the here-document tokens seeded. Every script is the preamble (the
functions all steps share: ``preamble.sh``, ``preamble-no-proxy.sh``), a blank line, then the
step's own part (``<case>.sh``). A change to a script shows here as a diff to review;
``SHIPYARD_UPDATE_GOLDEN=1`` rewrites the files. The whole scripts pass bash and shellcheck
here; the real-host tests prove they work."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from shipyard.deploy import compose, markers
from shipyard.deploy import compose_steps as cs
from shipyard.deploy import container_steps as ct
from shipyard.deploy import steps as st
from shipyard.deploy.releases import LockHolder, Release
from shipyard.deploy.render import ScriptRenderer
from tests.deploy.golden_ops import ops_cases
from tests.deploy.test_pure import EVIL, assert_valid_bash

GOLDEN = Path(__file__).parent / "golden"
DIGEST = "reg/api@sha256:" + "b" * 64
NEW, OLD = "20260101000000-r1", "20251231000000-r0"
OLD_NAMES = [f"api-{OLD}-1", f"api-{OLD}-2"]
ENV = {"SECRET": EVIL, "PLAIN": "1"}
COMPOSE = """services:
  web:
    image: ${SHIPYARD_IMAGE}
    expose: ["8080"]
    environment:
      NOTE: "%s"
  worker:
    image: ${SHIPYARD_IMAGE}
"""


class SeededTokens:
    """Here-document tokens 0000000000000001, ...2, ... from each :meth:`reset` on."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)

    def reset(self) -> None:
        self.counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{next(self.counter):016x}"


TOKENS = SeededTokens()


def renderer(**extra: object) -> ScriptRenderer:
    values: dict[str, object] = {
        "app": "api", "state_dir": "~/.shipyard", "image": "reg/api:1", "port": 8080,
        "release": NEW, "replicas": 2, "health_attempts": 3, "health_interval": 0.5,
        "health_path": "/health", "proxy": "nginx", "proxy_config": "~/nginx/api.conf",
        "proxy_check": "nginx -t -q", "proxy_reload": "nginx -s reload",
        "run_url": "https://github.example/o/r/actions/runs/1", "actor": "octocat",
        "tokens": TOKENS,
    }  # fmt: skip
    values.update(extra)
    return ScriptRenderer(**values)  # type: ignore[arg-type]


def cases() -> dict[str, st.RemoteStep[object]]:
    """One step value per case (its script is the snapshot)."""
    r, none, c = renderer(), renderer(proxy="none"), renderer(compose=True, replicas=1)
    holder = LockHolder("lockid1", "https://github.example/o/r/actions/runs/1", EVIL,
                        1700000000.0, 1800.0, NEW)  # fmt: skip
    parsed = compose.parse(COMPOSE % EVIL.replace("'", "").replace('"', ""), 8080, None)
    record = Release(NEW, "reg/api:1", DIGEST, 1700000000.0, "https://github.example/run", EVIL,
                     "deployed", 2).to_json()  # fmt: skip
    audit = '{"event": "deployed"}'
    back = renderer(release=OLD)
    return {  # type: ignore[return-value]
        "lock": st.Lock(r, holder),
        "lock-compose": st.Lock(c, holder, cs.COMPOSE_V2_CHECK),
        "unlock": st.Unlock(r, "lockid1"),
        "stop-steps": st.StopSteps(r, "shipyard-step-0123456789abcdef-0"),
        "pull-login": st.Pull(r, "bot", EVIL),
        "pull": st.Pull(r),
        "pull-ref": st.Pull(r, image=DIGEST),
        "pull-docker-hub": st.Pull(renderer(image="library/api:1"), "bot", "pw"),
        "hook": st.Hook(r, "echo pre; ./backup", "pre-deploy"),
        "hook-extra": st.Hook(r, "./smoke", "smoke", {"SHIPYARD_PREVIOUS_RELEASE": EVIL}),
        "hook-upstreams": st.Hook(
            r,
            './smoke "$SHIPYARD_UPSTREAMS"',
            "smoke",
            {"SHIPYARD_PREVIOUS_RELEASE": OLD},
            (*r.names(), EVIL),
        ),
        "post-rollback": st.post_rollback(r, './restore "$SHIPYARD_FAILED_RELEASE"', NEW),
        "migrate": st.Migrate(
            renderer(volumes=("/srv/data:/data", "/etc/x:/x:ro")), "./manage.py migrate", ENV
        ),
        "start": ct.Start(r, ENV),
        "start-volumes": ct.Start(renderer(volumes=("/srv/data:/data",)), ENV),
        "start-rollback": ct.Start(back, ENV, image=DIGEST),
        "check": ct.Check(r, r.names()),
        "switch": ct.Switch(r, r.release, r.names()),
        "switch-no-proxy": ct.Switch(none, none.release, none.names()),
        "replica-1": ct.Replica(r, ENV, 1, OLD_NAMES, 1.0),
        "replica-2": ct.Replica(r, ENV, 2, OLD_NAMES, 1.0),
        "replica-first-deploy": ct.Replica(r, ENV, 2, [], 1.0),
        "replica-fewer": ct.Replica(renderer(replicas=1), ENV, 1, OLD_NAMES, 0.0),
        "watch": st.Watch(r, r.names(), "/var/log/nginx/api.log", 10, 1),
        "watch-no-log": st.Watch(r, r.names(), None, 0, 1),
        "log-size": st.LogSize(r, "~/nginx/api.access.log"),
        "log-size-none": st.LogSize(r, None),
        "revert": ct.Revert(renderer(health_attempts=121), OLD, OLD_NAMES, r.names(), drain=10),
        "revert-before-the-switch": ct.Revert(r, OLD, OLD_NAMES, r.names()),
        "revert-first-deploy": ct.Revert(r, "", [], r.names()),
        "revert-nothing-started": ct.Revert(r, OLD, OLD_NAMES, []),
        "record": st.Record(r, record, audit, NEW, 5),
        "record-compose": st.Record(c, record, audit, NEW, 3),
        "bring-back": ct.BringBack(back, OLD, OLD_NAMES),
        "stop-old": ct.Stop(r, OLD_NAMES, 9.0),
        "stop-old-audit": ct.Stop(r, OLD_NAMES, 1.0, '{"event": "rollback"}'),
        "stop-nothing": ct.Stop(r, [], 1.0, '{"event": "rollback"}'),
        "stop-recreate": ct.Stop(r, OLD_NAMES),
        "stop-after-rollback": ct.Stop(
            r, OLD_NAMES, 2.5, '{"event": "rollback"}', workers=["41", "42"]
        ),
        "stop-after-rollback-no-nginx": ct.Stop(r, OLD_NAMES, 2.5, "", workers=[]),
        "compose-start": cs.ComposeStart(c, parsed, ENV, NEW + ".2", EVIL),
        "compose-start-kept": cs.ComposeStart(c, None, ENV, OLD, DIGEST),
        "compose-check": cs.ComposeCheck(c, NEW, [f"api-{NEW}-web-1"]),
        "compose-watch": st.Watch(
            c, [f"api-{NEW}-web-1"], "/var/log/x.log", 0, 1, cs.watch_extra(c, NEW)
        ),
        "compose-stop-old": cs.ComposeStop(c, OLD, 4.0),
        "compose-stop-old-audit": cs.ComposeStop(c, OLD, 1.0, '{"event": "x"}'),
        "compose-bring-back": cs.ComposeBringBack(c, OLD),
        "compose-revert": cs.ComposeRevert(c, OLD, NEW, drain=10),
        "compose-revert-before-the-switch": cs.ComposeRevert(c, OLD, NEW),
        "compose-stop-after-rollback": cs.ComposeStop(c, OLD, 3.0, "", workers=["41"]),
        "compose-revert-first-deploy": cs.ComposeRevert(c, "", NEW),
        **ops_cases(renderer),
    }


def render(step: st.RemoteStep[object]) -> str:
    """The step's script with the here-document tokens seeded."""
    TOKENS.reset()
    return step.script()


def _golden(name: str, text: str) -> str:
    path = GOLDEN / f"{name}.sh"
    if os.environ.get("SHIPYARD_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    return path.read_text()


def _preamble(name: str) -> str:
    return "preamble-no-proxy" if name.endswith("-no-proxy") else "preamble"


def test_the_preamble_every_step_starts_with() -> None:
    for name, r in (("preamble", renderer()), ("preamble-no-proxy", renderer(proxy="none"))):
        assert r.preamble() == _golden(name, r.preamble()), f"{name} changed"


@pytest.mark.parametrize("name", sorted(cases()))
def test_each_step_renders_its_golden_script(name: str) -> None:
    text = render(cases()[name])
    preamble = (GOLDEN / f"{_preamble(name)}.sh").read_text() + "\n"
    assert text.startswith(preamble), f"{name}: the preamble changed"
    body = text[len(preamble) :]
    assert body == _golden(name, body), f"{name}: the script changed (see golden/{name}.sh)"


def test_every_golden_script_is_valid_bash(tmp_path: Path) -> None:
    steps = {p.stem for p in GOLDEN.glob("*.sh")} - {"preamble", "preamble-no-proxy"}
    assert steps == set(cases()), "a golden file without its case, or the other way"
    texts = {
        name: (GOLDEN / f"{_preamble(name)}.sh").read_text()
        + "\n"
        + (GOLDEN / f"{name}.sh").read_text()
        for name in sorted(steps)
    }
    assert_valid_bash(texts, tmp_path)


def test_every_word_a_script_says_is_declared_once() -> None:
    """The marker vocabulary: each ``say WORD`` and ``@@shipyard WORD`` of every script is a
    constant of ``markers`` (the parsers read those constants)."""
    import re

    said: set[str] = set()
    for path in GOLDEN.glob("*.sh"):
        lines = path.read_text().splitlines()
        text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
        said |= set(re.findall(r"\bsay ([a-z][a-z-]*)", text))
        said |= set(re.findall(re.escape(markers.PREFIX) + r" ([a-z][a-z-]*)", text))
    assert said <= markers.WORDS, said - markers.WORDS
    assert said == markers.WORDS, markers.WORDS - said
