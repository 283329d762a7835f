"""The GitHub emulator (``tests/services/github_emulator.py``), one module per API."""
