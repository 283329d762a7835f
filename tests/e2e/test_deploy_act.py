"""deploy end to end under act: `uses: your-org/actions/deploy@v1` to a real sshd + dockerd +
nginx host, pulling from the registry with htpasswd auth."""

from __future__ import annotations

import json
import secrets

from tests.deploy.conftest import new_app_name
from tests.e2e.act import ActHarness
from tests.services.deploy_hosts import DeployHost, SampleApp
from tests.services.loadgen import fetch

WORKFLOW = """
name: deploy
on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - id: deploy
        uses: your-org/actions/deploy@v1
        with:
          hosts: web=${{ vars.HOST }}
          user: ${{ vars.SSH_USER }}
          ssh-key: ${{ secrets.SSH_KEY }}
          known-hosts: ${{ vars.KNOWN_HOSTS }}
          app: ${{ vars.APP }}
          image: ${{ vars.IMAGE }}
          registry-username: ${{ vars.REGISTRY_USERNAME }}
          registry-password: ${{ secrets.REGISTRY_PASSWORD }}
          env: |
            APP_TOKEN=${{ secrets.APP_TOKEN }}
          proxy-config: ${{ vars.PROXY_CONFIG }}
          proxy-reload: ${{ vars.PROXY_RELOAD }}
          proxy-check: ${{ vars.PROXY_CHECK }}
          health-timeout: 15s
          monitor: 2s
          monitor-interval: 1s
          drain-timeout: 1s
      - env:
          STATUS: ${{ steps.deploy.outputs.status }}
          HOSTS: ${{ steps.deploy.outputs.hosts }}
        run: |
          test "$STATUS" = deployed
          echo "$HOSTS"
"""


def test_deploy_under_act(act: ActHarness, deploy_host: DeployHost, sample_app: SampleApp) -> None:
    app = new_app_name()
    url = deploy_host.add_site(app)
    proxy = deploy_host.proxy_inputs(app)
    token = "tok-" + secrets.token_hex(10)
    try:
        run = act(
            WORKFLOW,
            vars={
                "HOST": deploy_host.target,
                "SSH_USER": deploy_host.ssh.user,
                "KNOWN_HOSTS": deploy_host.known_hosts_line,
                "APP": app,
                "IMAGE": sample_app.refs["v2"],
                "REGISTRY_USERNAME": sample_app.registry.username,
                "PROXY_CONFIG": proxy["proxy-config"],
                "PROXY_RELOAD": proxy["proxy-reload"],
                "PROXY_CHECK": proxy["proxy-check"],
            },
            secrets={
                "SSH_KEY": deploy_host.ssh.client_key.read_text(),
                "REGISTRY_PASSWORD": sample_app.registry.password,
                "APP_TOKEN": token,
            },
        )
        run.raise_for_failure()
        step = run.step("deploy", "deploy")
        assert step.outcome == "success"
        assert step.outputs["status"] == "deployed"
        (host,) = json.loads(step.outputs["hosts"])
        assert host["host"] == "web" and host["result"] == "deployed"
        assert fetch(url) == "v2"
        assert token not in run.text and sample_app.registry.password not in run.text
    finally:
        deploy_host.remove_app(app)
