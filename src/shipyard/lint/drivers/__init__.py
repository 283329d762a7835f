"""Scripts the action runs with a linter's own Python (its venv's), in place of the
linter's executable: each starts the linter as its executable would, with one change that
costs less and prints the same. They import nothing of shipyard."""
