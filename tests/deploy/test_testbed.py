"""The deploy test bed itself: a host reachable over SSH whose docker and nginx work."""

from __future__ import annotations

from tests.services._common import run, wait_until
from tests.services.deploy_hosts import DeployHost, SampleApp
from tests.services.loadgen import LoadGenerator, fetch


def test_host_runs_the_sample_app_behind_nginx(
    deploy_host: DeployHost, sample_app: SampleApp
) -> None:
    login = run(deploy_host.ssh.ssh_command(["sh", "-c", 'echo "$HOME $DOCKER_HOST"']))
    assert login.stdout.split() == [str(deploy_host.home), deploy_host.docker_host]
    app = "testbed-probe"
    url = deploy_host.add_site(app)
    started = deploy_host.docker(
        "run", "-d", "--name", app, "--label", f"shipyard.app={app}", "-p", "127.0.0.1::8080",
        sample_app.refs["v1"],
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        port = deploy_host.docker("port", app, "8080").stdout.strip().rsplit(":", 1)[1]
        upstream = deploy_host.nginx.prefix / "conf.d" / f"{app}.upstream.conf"
        upstream.write_text(f"upstream {app} {{ server 127.0.0.1:{port}; }}\n")
        deploy_host.nginx.reload()  # applied asynchronously: wait for the first good answer
        # Old workers finish with the old (placeholder) upstream: wait until none answers.
        assert wait_until(lambda: all(fetch(url) == "v1" for _ in range(50)), 20)
        with LoadGenerator(url, max_requests=200) as load:
            load.wait_for(200)
        assert load.result.failed == 0, load.result.errors
        assert load.result.versions() == ["v1"]
    finally:
        deploy_host.remove_app(app)
