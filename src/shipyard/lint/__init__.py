"""The lint action: every linter a repository configures, in parallel, findings on the PR."""
