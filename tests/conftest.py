"""Shared pytest configuration: the test bed's fixtures are plugins under tests/services/;
under CI=true a skip is a failure (tests/no_silent_skips.py)."""

pytest_plugins = [
    "pytester",
    "tests.no_silent_skips",
    "tests.services.plugin_infra",
    "tests.services.plugin_emulators",
    "tests.services.plugin_smtp",
    "tests.services.plugin_deploy",
    "tests.e2e.plugin_act",
    "tests.services.plugin_sample_app",
    "tests.services.plugin_service_images",
]
