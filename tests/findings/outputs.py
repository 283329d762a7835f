"""Tool outputs as the tools print them (trimmed to what the parsers read), and the files they
point at: the inputs of the fingerprint pins (``test_fingerprints.py``)."""

from __future__ import annotations

import json
from pathlib import Path

#: The files the findings are in, relative to the scanned root.
FILES = {
    "app.py": "import subprocess\nsubprocess.call(cmd, shell=True)\n",
    "Dockerfile": "FROM debian\nRUN apt-get install -y curl\n",
    "config/aws.ini": "[default]\naws_access_key_id = AKIA0000000000000000\n",
    "history/aws.ini": "\naws_access_key_id = AKIA1111111111111111\n",
}


def write(root: Path) -> None:
    """The files of ``FILES`` under ``root``."""
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def bandit(root: Path) -> str:
    return json.dumps(
        {
            "errors": [],
            "results": [
                {
                    "filename": str(root / "app.py"),
                    "line_number": 2,
                    "test_id": "B602",
                    "test_name": "subprocess_popen_with_shell_equals_true",
                    "issue_severity": "HIGH",
                    "issue_confidence": "HIGH",
                    "issue_text": "subprocess call with shell=True identified, security issue.",
                    "more_info": "https://bandit.readthedocs.io/en/latest/plugins/b602.html",
                }
            ],
        }
    )


def hadolint(root: Path) -> str:
    return json.dumps(
        [
            {
                "code": "DL3008",
                "column": 1,
                "file": str(root / "Dockerfile"),
                "level": "warning",
                "line": 2,
                "message": "Pin versions in apt get install.",
            }
        ]
    )


TRIVY = {
    "Results": [
        {
            "Target": "requirements.txt",
            "Vulnerabilities": [
                {
                    "VulnerabilityID": "CVE-2018-18074",
                    "VendorIDs": ["GHSA-x84v-xcm2-53pg"],
                    "PkgName": "requests",
                    "InstalledVersion": "2.19.0",
                    "FixedVersion": "2.20.0",
                    "Severity": "HIGH",
                    "Title": "python-requests: redirect keeps Authorization",
                }
            ],
        },
        {
            "Target": "Dockerfile",
            "Misconfigurations": [
                {
                    "ID": "DS-0002",
                    "Title": "Image user should not be 'root'",
                    "Message": "Specify at least 1 USER command in Dockerfile",
                    "Resolution": "Add 'USER <non root user name>' line to the Dockerfile",
                    "Severity": "HIGH",
                    "Status": "FAIL",
                    "CauseMetadata": {},
                }
            ],
        },
        {
            "Target": "config/aws.ini",
            "Secrets": [
                {
                    "RuleID": "aws-access-key-id",
                    "Title": "AWS Access Key ID",
                    "Severity": "CRITICAL",
                    "StartLine": 2,
                    "Match": "aws_access_key_id = ********************",
                }
            ],
        },
    ]
}
#: A secret of the git history: trivy scans the laid-out tree; the finding is shown at the
#: commit's path.
TRIVY_HISTORY = {
    "Results": [
        {
            "Target": "history/aws.ini",
            "Secrets": [
                {
                    "RuleID": "aws-access-key-id",
                    "Title": "AWS Access Key ID",
                    "Severity": "CRITICAL",
                    "StartLine": 2,
                    "Match": "aws_access_key_id = ********************",
                }
            ],
        }
    ]
}
PIP_AUDIT = {
    "dependencies": [
        {
            "name": "requests",
            "version": "2.19.0",
            "vulns": [
                {
                    "id": "PYSEC-2018-28",
                    "fix_versions": ["2.20.0"],
                    "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
                    "description": "Sends an HTTP Authorization header to an http URI.",
                }
            ],
        }
    ]
}
RUFF = [
    {
        "code": "F401",
        "filename": "app/x.py",
        "location": {"row": 1, "column": 8},
        "end_location": {"row": 1, "column": 10},
        "message": "`os` imported but unused",
        "fix": {"applicability": "safe"},
        "url": "https://docs.astral.sh/ruff/rules/unused-import",
    }
]
MYPY = (
    '{"file": "app/typed.py", "line": 2, "column": 4, "message": "Incompatible types", '
    '"hint": null, "code": "assignment", "severity": "error"}\n'
    '{"file": "app/typed.py", "line": 2, "column": 4, "message": "See the docs", '
    '"hint": null, "code": null, "severity": "note"}\n'
)
