"""mode: rollback. Switch each host to the previous (or named) release: its stopped containers
are started again when they are still there, else re-created from the recorded digest."""

from __future__ import annotations

from shipyard.runtime import ActionContext

from . import compose_scripts, scripts
from .deploy import Deploy, Result
from .releases import marker_values, previous_release
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
        was_compose = record.id in host.compose_releases
        if was_compose != (self.session.compose is not None):
            raise StepFailed(
                f"release {record.id} was deployed "
                + ("with" if was_compose else "without")
                + " compose-file: roll it back "
                + ("with the same compose-file input" if was_compose else "without compose-file")
            )
        remote = self.session.remote(record.id)
        host.remote = remote
        if self.session.compose is not None:
            self._back_compose(host, record.id, record.ref)
            return
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
        self.after_rollback(host, host.current)

    def _back_compose(self, host: HostRun, release: str, ref: str) -> None:
        """compose-file: start the kept project again, or bring it up from its kept files."""
        s, remote, run = self.s, host.remote, self.session.run
        host.status = "working"
        if any(rel == release for rel, _state in host.containers.values()):
            run(host, "switch", compose_scripts.bring_back(remote, release))
        else:
            run(host, "pull", scripts.pull(remote, s.registry_username, s.registry_password, ref))
            script = compose_scripts.start(remote, None, self.env, release, ref)
            started = run(host, "start", script)
            names = [w[0] for w in marker_values(started.output, "started") if w]
            run(host, "check", compose_scripts.check(remote, release, names))
            run(host, "switch", scripts.switch(remote, release, names))
        host.switched = True
        audit = self._audit(host, release)
        if host.current:
            stop = compose_scripts.stop(remote, host.current, s.drain_timeout, audit)
            run(host, "stop-old", stop)
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
        session.refuse_unfit()
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
