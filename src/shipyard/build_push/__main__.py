"""Entry point of the build-push action: ``python -m shipyard.build_push``.

Order of work, so that a mistake costs nothing and nothing is ever half-tagged (``prepare``):
every input is checked (``settings``: exit 2 naming the input); the builder is inspected and
each registry asked whether the credentials may push, at the same time; the tags are computed
(the registry's versions decide ``latest``); ``docker login`` into a private DOCKER_CONFIG.
Then the mode: ``build`` (one build, or one per platform joined by digest once all are
pushed), ``digest`` (one per platform, by digest), ``merge`` (the digests become the tagged
image), or the ``dryrun`` (no build, no login, no Docker); ``report`` writes the outputs and
the summary. A failed RUN step is exit 1; registry trouble after the retries, exit 3.
"""

from __future__ import annotations

import contextlib

from shipyard.runtime import ActionContext, ShipyardError, main_for

from .spec import SPEC, Settings


def run(ctx: ActionContext[Settings]) -> None:
    """Read the settings, then the dry run or the mode (build, digest, merge) on a job that prepared
    everything first; report what was done (the summary also when it stopped)."""
    # Imported here: a run that fails on its inputs (checked before run) loads none of them.
    from . import build, dryrun, merge, prepare, report
    from .job import Job
    from .metadata import clock
    from .settings import read_settings

    settings = read_settings(ctx.settings, ctx.run, clock(ctx.env), ctx.env)
    for secret in settings.secrets:
        ctx.runner.mask(secret)
    job = Job(ctx, settings)
    ctx.cleanup.push(job.close, "build-push's private docker config and work folder")
    try:
        if settings.dry_run:
            dryrun.dry_run(job)
        else:
            prepare.start(job)
            job.stage({"merge": "merging the digests"}.get(settings.mode, "building"))
            {"build": build.build, "digest": build.build_digests, "merge": merge.merge}[
                settings.mode
            ](job)
            job.stage("done")
    except ShipyardError:
        with contextlib.suppress(Exception):
            report.write_summary(ctx.summary, job.s, job.out, done=False)
        raise
    # job.s, not settings: a run whose rules made no tag is built without pushing.
    report.report(ctx, job.s, job.out)


main = main_for(SPEC, run)


if __name__ == "__main__":
    raise SystemExit(main(None))
