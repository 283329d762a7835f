"""The Slack emulator (``tests/services/slack_emulator.py``), one module per API family."""
