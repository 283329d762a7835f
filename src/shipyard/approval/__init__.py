"""The approval action: deployments approved or denied through a GitHub issue."""
