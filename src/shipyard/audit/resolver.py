"""uv (the adapter that resolves ranges; `audit.resolution` decides what and reads the answer).

uv runs from the empty working directory with ``--no-config`` (no ``uv.toml``, ``pyproject.toml``
or user configuration is read), ``--no-build`` (wheels only: no sdist is built, so no code of
any package, nor of the repository, runs), on a requirements file the audit wrote; the index
comes from the step's environment (UV_INDEX_URL, PIP_INDEX_URL), passed in uv's environment,
never on its command line.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from shipyard.runtime import Runner
from shipyard.runtime.environment import child_env
from shipyard.runtime.process import ProcessTask, run_parallel

from .resolution import Job, Resolved, failed, index_env, parse_output
from .scanners import ScanEnv

#: What uv may take to resolve one file (it has its own HTTP time limits and retries).
TIMEOUT = 300.0
#: The environment variables that name an index (an URL may hold a credential).
INDEX_VARIABLES = (
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
)


def argv(env: ScanEnv, requirements: str, output: str, hashes: bool) -> tuple[str, ...]:
    """``uv pip compile`` of the audit's own requirements file, for this Python."""
    return (
        env.tool("uv"),
        "pip",
        "compile",
        requirements,
        "--no-config",
        "--no-build",
        "--no-sources",
        "--python",
        sys.executable,
        "--cache-dir",
        str(env.cache_dir / "uv"),
        "--no-header",
        "--no-annotate",
        "--quiet",
        "--output-file",
        output,
        *(("--generate-hashes",) if hashes else ()),
    )


def resolve(jobs: Sequence[Job], env: ScanEnv, runner: Runner) -> list[Resolved]:
    """Resolve every file at once; a file uv cannot resolve is a warning naming it."""
    folder = env.temp_dir / "resolve"
    folder.mkdir(mode=0o700, exist_ok=True)
    child = child_env(runner.env, allow=INDEX_VARIABLES, extra=index_env(runner.env))
    tasks = []
    for number, job in enumerate(jobs):
        given = folder / f"{number}.in"
        given.write_text(job.text, encoding="utf-8")
        out = folder / f"{number}.txt"
        out.unlink(missing_ok=True)
        tasks.append(
            ProcessTask(
                f"uv: resolve {job.file}",
                argv(env, str(given), str(out), bool(job.hashes)),
                cwd=env.neutral_dir,
                env=child,
                timeout=min(env.timeout, TIMEOUT),
            )
        )
    results = run_parallel(tasks, runner=runner)
    resolved = []
    for number, (job, result) in enumerate(zip(jobs, results, strict=True)):
        out = folder / f"{number}.txt"
        if result.ok and out.is_file():
            resolved.append(parse_output(job, out.read_text(encoding="utf-8", errors="replace")))
            continue
        reason = "timed out" if result.timed_out else _reason(result.output)
        resolved.append(failed(job, reason))
    return resolved


def _reason(output: str) -> str:
    """uv's own words: its error line and the causes after it, on one line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.startswith("error")), 0)
    return " ".join(lines[start : start + 4]) or "uv failed"
