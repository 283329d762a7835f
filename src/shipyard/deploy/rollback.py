"""mode: rollback. Switch each host to the previous (or named) release: its stopped containers
are started again when they are still there, else re-created from the recorded digest."""

from __future__ import annotations

from shipyard.runtime import ActionContext

from . import scripts
from .deploy import Deploy, Result
from .releases import previous_release
from .session import HostRun, Session, StepFailed
from .spec import Settings


class Rollback(Deploy):
    def __init__(self, ctx: ActionContext[Settings], session: Session) -> None:
        super().__init__(ctx, session)
        self.targets: dict[str, str] = {}

    def back(self, host: HostRun) -> None:
        s = self.s
        record = previous_release(host.records, host.current, s.to_release)
        if record is None:
            raise StepFailed(
                f"no release to roll back to (current {host.current or 'none'}, "
                f"wanted {s.to_release or 'the previous one'})"
            )
        self.targets[host.target.name] = record.id
        remote = self.session.remote(record.id)
        host.remote = remote
        names = remote.names()
        host.status = "working"
        host.new = names
        if all(n in host.containers for n in names):
            # Kept containers: start, check and switch in one round trip.
            self.session.run(host, "switch", scripts.bring_back(remote, record.id, names))
        else:
            self.session.run(
                host,
                "pull",
                scripts.pull(remote, s.registry_username, s.registry_password, record.ref),
            )
            self.session.run(host, "start", scripts.start(remote, self.env, image=record.ref))
            self.session.run(host, "check", scripts.check(remote, names))
            self.session.run(host, "switch", scripts.switch(remote, record.id, names))
        host.switched = True
        audit = self._audit(host, record.id)
        self.session.run(host, "stop-old", scripts.stop(host.old, remote, s.drain_timeout, audit))
        host.status = "rolled-back"

    def _audit(self, host: HostRun, release: str) -> str:
        import time

        from .releases import audit_line

        return audit_line(
            "rollback",
            release,
            time.time(),
            self.ctx.run.run_url,
            self.ctx.run.actor,
            previous=host.current,
        )

    def run(self) -> Result:
        session = self.session
        self.ctx.cleanup.push(session.release_locks, "release the deploy locks")
        everyone = list(session.hosts.values())
        self._each(everyone, session.prepare, "prepare")
        previous = next((h.current for h in everyone if h.current), "")
        if not any(h.error for h in everyone) and not self.s.dry_run:
            self._each(everyone, self.back, "rollback")
        for host in everyone:
            if host.error:
                self.story.append(f"{host.target.name}: {host.error}")
        release = next(iter(self.targets.values()), self.s.to_release or "")
        ok = not any(h.error for h in everyone)
        status = ("planned" if self.s.dry_run else "rolled-back") if ok else "failed"
        return Result(
            status,
            release,
            previous,
            everyone,
            self.story,
            [f"Roll back {self.s.app} to {self.s.to_release or 'the previous release'}"],
        )
