"""What a run reports: the outputs (with the metadata JSON) and the job summary. Pure: from
the settings and the result to the outputs and the summary."""

from __future__ import annotations

from typing import Any

from shipyard.runtime import ActionContext
from shipyard.runtime.summary import Markdown, Summary, escape_text

from .job import Result
from .registry import human_size
from .settings import BuildSettings
from .spec import Settings


def outputs(s: BuildSettings, out: Result) -> dict[str, Any]:
    """Every output of the run, ``metadata`` being the whole record as JSON."""
    decision = out.decision
    platform_digests = {name: r.digest for name, r in out.platforms.items() if r.digest}
    image_refs = (
        [image.digest_ref(out.digest) for image in s.images] if out.pushed and out.digest else []
    )
    metadata = {
        "images": [image.name for image in s.images],
        "tags": list(decision.tags) if decision else [],
        "refs": out.tags,
        "version": decision.version if decision else "",
        "latest": decision.latest if decision else False,
        "digest": out.digest,
        "pushed": out.pushed,
        "mode": s.mode,
        "platforms": platform_names(s, out),
        "platform-digests": platform_digests,
        "sizes": {name: r.size for name, r in out.platforms.items() if r.size},
        "labels": out.labels,
        "build-args": {k: v for k, v in out.build_args.items() if k.startswith("BUILD_")},
        "secrets": [secret.id for secret in s.build_secrets],
        "ssh": [forward.id for forward in s.ssh],
        "cache": out.cache,
        "builder": out.builder,
        "notes": out.notes,
        "timings": {stage: round(seconds, 2) for stage, seconds in out.timings.items()},
        "dry-run": s.dry_run,
        "push-decision": s.push_reason,
    }
    return {
        "digest": out.digest,
        "tags": "\n".join(out.tags),
        "image-refs": "\n".join(image_refs),
        "platform-digests": platform_digests,
        "version": decision.version if decision else "",
        "pushed": out.pushed,
        "metadata": metadata,
    }


def platform_names(s: BuildSettings, out: Result) -> list[str]:
    """The platforms of the image: as pushed when known, else as asked."""
    pushed = [name for name in out.platforms if "/" in name]
    return pushed or [str(p) for p in s.platforms]


def report(ctx: ActionContext[Settings], s: BuildSettings, out: Result) -> None:
    """Set every output and write the summary of a finished run."""
    for name, value in outputs(s, out).items():
        ctx.set_output(name, value)
    write_summary(ctx.summary, s, out, done=True)


def write_summary(summary: Summary, s: BuildSettings, out: Result, *, done: bool) -> None:
    """The job summary: what was built and pushed, or where the run stopped."""
    decision = out.decision
    verb = {"merge": "Merged", "digest": "Built by digest"}.get(s.mode, "Built")
    if s.dry_run:
        verb = "Dry run (nothing built or pushed)"
    pushed = " and pushed" if out.pushed else ""
    platforms = ", ".join(platform_names(s, out))
    if done:
        summary.heading(f"\U0001f433 {verb}{pushed}: {s.images[0].name} ({platforms})", 3)
    else:
        summary.heading(f"build-push stopped while {out.stage}", 3)
    sizes = " / ".join(f"{human_size(r.size)}" for r in out.platforms.values() if r.size)
    tag_names = (
        ", ".join(decision.tags)
        if decision and s.mode != "digest"
        else ", ".join(t.rsplit(":", 1)[-1] for t in out.tags)
    )
    rows = []
    for image in s.images:
        rows.append(
            [
                image.name,
                tag_names or "(none)",
                Markdown(f"`{out.digest}`") if out.digest else "(not pushed)",
                ", ".join(out.platforms) or platforms,
                sizes or "",
            ]
        )
    summary.table(["Image", "Tags", "Digest", "Platforms", "Size"], rows)
    if out.platforms and any(r.digest or r.size for r in out.platforms.values()):
        summary.table(
            ["Platform", "Digest", "Size", "Build time"],
            [
                [
                    r.platform,
                    Markdown(f"`{r.digest}`") if r.digest else "",
                    human_size(r.size) if r.size else "",
                    f"{r.seconds:.1f}s" if r.seconds else "",
                ]
                for r in out.platforms.values()
            ],
        )
    if out.pushed:
        image = s.images[0]
        pull = (
            f"docker pull {image.digest_ref(out.digest)}"
            if out.digest
            else f"docker pull {out.tags[0]}"
        )
        if decision and decision.tags and s.mode != "digest":
            pull = f"docker pull {image.ref(decision.tags[0])}\n# or, pinned:\n{pull}"
        summary.raw("**Pull:**")
        summary.code(pull, "sh")
    elif done and s.dry_run:
        summary.paragraph(f"A real run would push: {'yes' if s.push else 'no'} ({s.push_reason}).")
    elif done:
        summary.paragraph(f"Not pushed: {s.push_reason}.")
    facts = [f"mode: {s.mode}", s.push_reason]
    if out.builder:
        facts.append(f"builder: {out.builder}")
    if s.build_secrets:
        facts.append("build secrets: " + ", ".join(sec.describe() for sec in s.build_secrets))
    if s.ssh:
        facts.append("ssh: " + ", ".join(forward.describe() for forward in s.ssh))
    facts += [f"cache {entry}" for entry in out.cache]
    facts += out.notes
    summary.details("Details", "\n".join(f"- {escape_text(f)}" for f in facts))
