"""The GitHub Actions API: a repository's workflows (``/actions/workflows``, by id or file
name), ``workflow_dispatch`` (``.../dispatches``, validated as GitHub does: ref, inputs, the
trigger, a disabled workflow; each dispatch is recorded) and workflow runs
(``/actions/runs/{id}``, with actor and triggering actor)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from flask import Response

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.model import Repo, Run, Workflow
from tests.services.github_api.repos import ReposApi
from tests.services.github_api.wire import (
    REPO,
    ApiError,
    empty_response,
    node_id,
    not_found,
    paginate,
    request_object,
)


class ActionsApi(ReposApi):
    """Workflows, their dispatches, and workflow runs."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(f"{REPO}/actions/workflows", self._v_workflows, permission="actions")
        route(f"{REPO}/actions/workflows/<workflow>", self._v_workflow, permission="actions")
        route(
            f"{REPO}/actions/workflows/<workflow>/dispatches",
            self._v_dispatch,
            ("POST",),
            permission="actions",
        )
        route(f"{REPO}/actions/runs/<int:run_id>", self._v_run, permission="actions")

    def add_workflow(
        self,
        repo: str,
        path: str,
        *,
        name: str | None = None,
        inputs: Mapping[str, Mapping[str, Any]] | None = None,
        state: str = "active",
        dispatchable: bool = True,
        id: int | None = None,
    ) -> dict[str, Any]:
        """Declare a workflow file; ``inputs`` as in ``on.workflow_dispatch.inputs``."""
        with self._lock:
            target = self._repo(repo)
            workflow = Workflow(
                id or next(self._ids),
                name or path.rsplit("/", 1)[-1],
                path,
                state,
                {k: dict(v or {}) for k, v in inputs.items()} if inputs is not None else None,
                dispatchable,
            )
            target.workflows[workflow.id] = workflow
            return self._workflow_json(target, workflow)

    def add_run(
        self,
        repo: str,
        run_id: int | None = None,
        *,
        actor: str,
        triggering_actor: str | None = None,
        workflow: str = ".github/workflows/release.yml",
        name: str | None = None,
        head_sha: str | None = None,
        head_branch: str | None = None,
        event: str = "push",
        run_number: int = 1,
        run_attempt: int = 1,
    ) -> dict[str, Any]:
        """Record a workflow run (its actor and triggering actor are created if unknown)."""
        with self._lock:
            target = self._repo(repo)
            self._account_or_create(actor)
            self._account_or_create(triggering_actor or actor)
            branch = head_branch or target.default_branch
            sha = head_sha or self._resolve(target, branch) or "0" * 40
            run = Run(
                run_id or next(self._ids),
                name or workflow.rsplit("/", 1)[-1],
                workflow,
                actor,
                triggering_actor or actor,
                sha,
                branch,
                event,
                run_number=run_number,
                run_attempt=run_attempt,
            )
            target.runs[run.id] = run
            return self._run_json(target, run)

    def remove_run(self, repo: str, run_id: int) -> None:
        """Delete a workflow run, as a writer can."""
        with self._lock:
            self._repo(repo).runs.pop(run_id, None)

    def dispatches(self, repo: str | None = None) -> list[dict[str, Any]]:
        """Recorded ``workflow_dispatch`` events: repo, workflow, ref, inputs, user, run_id."""
        with self._lock:
            repos = [self._repo(repo)] if repo else list(self._repos.values())
            return [dict(d) for r in repos for d in r.dispatches]

    def _workflow_json(self, repo: Repo, workflow: Workflow) -> dict[str, Any]:
        api, web = self._bases()
        file_name = workflow.path.rsplit("/", 1)[-1]
        return {
            "id": workflow.id,
            "node_id": node_id("Workflow", workflow.id),
            "name": workflow.name,
            "path": workflow.path,
            "state": workflow.state,
            "created_at": workflow.created_at,
            "updated_at": workflow.created_at,
            "url": f"{api}/repos/{repo.full_name}/actions/workflows/{workflow.id}",
            "html_url": f"{web}/{repo.full_name}/blob/{repo.default_branch}/{workflow.path}",
            "badge_url": f"{web}/{repo.full_name}/workflows/{file_name}/badge.svg",
        }

    def _run_json(self, repo: Repo, run: Run) -> dict[str, Any]:
        api, web = self._bases()
        url = f"{api}/repos/{repo.full_name}/actions/runs/{run.id}"
        workflow = next((w for w in repo.workflows.values() if w.path == run.path), None)
        return {
            "id": run.id,
            "name": run.name,
            "node_id": node_id("WorkflowRun", run.id),
            "head_branch": run.head_branch,
            "head_sha": run.head_sha,
            "path": run.path,
            "display_title": run.name,
            "run_number": run.run_number,
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "workflow_id": workflow.id if workflow else None,
            "url": url,
            "html_url": f"{web}/{repo.full_name}/actions/runs/{run.id}",
            "created_at": run.created_at,
            "updated_at": run.created_at,
            "run_attempt": run.run_attempt,
            "run_started_at": run.created_at,
            "actor": self._user_json(self._accounts[run.actor.lower()]),
            "triggering_actor": self._user_json(self._accounts[run.triggering_actor.lower()]),
            "jobs_url": f"{url}/jobs",
            "logs_url": f"{url}/logs",
            "repository": self._repo_json(repo),
            "head_repository": self._repo_json(repo),
        }

    def _find_workflow(self, repo: Repo, workflow: str) -> Workflow:
        if workflow.isdigit() and int(workflow) in repo.workflows:
            return repo.workflows[int(workflow)]
        for candidate in repo.workflows.values():
            if candidate.path.rsplit("/", 1)[-1] == workflow:
                return candidate
        raise not_found()

    def _v_workflows(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        return paginate(
            [self._workflow_json(repo, w) for w in repo.workflows.values()], key="workflows"
        )

    def _v_workflow(self, owner: str, name: str, workflow: str) -> Response:
        repo = self._visible_repo(owner, name)
        return json_response(self._workflow_json(repo, self._find_workflow(repo, workflow)))

    def _v_dispatch(self, owner: str, name: str, workflow: str) -> Response:
        repo = self._visible_repo(owner, name)
        found = self._find_workflow(repo, workflow)
        user = self._user()
        if not self._can_push(repo, user):
            raise ApiError(403, "Must have admin rights to Repository.")
        body = request_object()
        ref = body.get("ref")
        if not isinstance(ref, str) or not ref:
            raise ApiError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.')
        inputs = body.get("inputs", {})
        if inputs is None:
            inputs = {}
        if not isinstance(inputs, dict):
            raise ApiError(422, "Invalid request.\n\nFor 'properties/inputs', is not an object.")
        if not found.dispatchable:
            raise ApiError(422, "Workflow does not have 'workflow_dispatch' trigger")
        if found.state != "active":
            raise ApiError(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow")
        sha = self._resolve(repo, ref)
        if sha is None or ref in repo.commits:
            raise ApiError(422, f"No ref found for: {ref}")
        if len(inputs) > 25:
            raise ApiError(422, "you may only define up to 25 `inputs` for a `workflow_dispatch`")
        if found.inputs is not None:
            unexpected = sorted(set(inputs) - set(found.inputs))
            if unexpected:
                raise ApiError(422, f"Unexpected inputs provided: {json.dumps(unexpected)}")
            for input_name, spec in found.inputs.items():
                if spec.get("required") and input_name not in inputs and "default" not in spec:
                    raise ApiError(422, f"Required input '{input_name}' not provided")
        run_id = next(self._ids)
        repo.dispatches.append(
            {
                "repo": repo.full_name,
                "workflow_id": found.id,
                "workflow": found.path,
                "ref": ref,
                "sha": sha,
                "inputs": inputs,
                "user": user.login,
                "time": time.time(),
                "run_id": run_id,
            }
        )
        if body.get("return_run_details"):
            api, web = self._bases()
            return json_response(
                {
                    "workflow_run_id": run_id,
                    "run_url": f"{api}/repos/{repo.full_name}/actions/runs/{run_id}",
                    "html_url": f"{web}/{repo.full_name}/actions/runs/{run_id}",
                }
            )
        return empty_response()

    def _v_run(self, owner: str, name: str, run_id: int) -> Response:
        repo = self._visible_repo(owner, name)
        run = repo.runs.get(run_id)
        if run is None:
            raise not_found()
        return json_response(self._run_json(repo, run))
