"""Offline OSV matching: the same ids, aliases and fix versions as the real pip-audit gives
for the same records (served by a local OSV query API), ranges with PEP 440 ordering,
withdrawn records skipped, aliases merged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shipyard.audit.osv import OsvDatabase, match
from tests.audit.osv_server import affected_by_versions, load_records, osv_server
from tests.audit.sample import OSV_DB, PINS

PIP_AUDIT = Path(sys.executable).parent / "pip-audit"


def pip_audit_results(tmp_path: Path, pins: dict[str, str]) -> dict[str, dict[str, object]]:
    """pip-audit's JSON results for `pins`, queried against the OSV copy of tests/data."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()))
    with osv_server(OSV_DB) as url:
        done = subprocess.run(
            [
                str(PIP_AUDIT),
                "-r",
                str(requirements),
                "--no-deps",
                "--disable-pip",
                "-s",
                "osv",
                "--osv-url",
                url,
                "-f",
                "json",
                "--progress-spinner",
                "off",
                "--cache-dir",
                str(tmp_path / "cache"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode in (0, 1), done.stderr
    data = json.loads(done.stdout)
    return {
        dep["name"]: {v["id"]: (sorted(v["aliases"]), v["fix_versions"]) for v in dep["vulns"]}
        for dep in data["dependencies"]
    }


def test_same_results_as_pip_audit_for_requests_and_django(tmp_path: Path) -> None:
    expected = pip_audit_results(tmp_path, PINS)
    db = OsvDatabase(OSV_DB)
    for name, version in PINS.items():
        got = {a.id: (sorted(a.aliases), list(a.fixed)) for a in db.query(name, version)}
        assert got == expected[name], name
    # The case the mirror's notes name, and django having many.
    assert expected["requests"]["PYSEC-2018-28"] == (
        ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
        ["2.20.0"],
    )
    assert len(expected["django"]) > 10


def test_ranges_agree_with_the_enumerated_versions() -> None:
    """Every listed version of every record is affected by the ranges, and the neighbours
    outside the list that the ranges cover are real PEP 440 versions in between."""
    records = load_records(OSV_DB / "vulns" / "requests")
    for record in records:
        for affected in record["affected"]:
            for version in affected.get("versions", [])[:40]:
                assert affected_by_versions(record, "requests", str(version))
                assert [a.id for a in match([record], "requests", str(version))], version


def test_pep440_ordering_not_string_ordering() -> None:
    record = {
        "id": "PYSEC-0000-1",
        "aliases": ["GHSA-aaaa-bbbb-cccc", "CVE-2099-1"],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Demo_Pkg"},
                "ranges": [
                    {
                        "type": "ECOSYSTEM",
                        "events": [
                            {"introduced": "1.9"},
                            {"fixed": "1.10.0"},
                            {"introduced": "2.0rc1"},
                            {"fixed": "2.0.post1"},
                        ],
                    }
                ],
            }
        ],
    }
    assert [a.id for a in match([record], "demo-pkg", "1.9.5")] == ["PYSEC-0000-1"]
    assert match([record], "demo-pkg", "1.10.0") == []  # "1.10.0" < "1.9" as strings
    assert match([record], "demo-pkg", "1.8") == []
    assert match([record], "demo-pkg", "2.0") != []  # 2.0rc1 <= 2.0 < 2.0.post1
    assert match([record], "demo-pkg", "2.0.post1") == []
    (advisory,) = match([record], "demo-pkg", "2.0")
    assert advisory.aliases == ("CVE-2099-1", "GHSA-aaaa-bbbb-cccc")
    assert advisory.fixed == ("1.10.0", "2.0.post1")


def test_withdrawn_records_are_skipped_and_aliases_merged(tmp_path: Path) -> None:
    source = OSV_DB / "vulns" / "requests" / "PYSEC-2018-28.yaml"
    record = yaml.safe_load(source.read_text())
    folder = tmp_path / "vulns" / "requests"
    folder.mkdir(parents=True)
    (folder / "PYSEC-2018-28.yaml").write_text(source.read_text())
    withdrawn = {**record, "id": "PYSEC-2099-9", "aliases": [], "withdrawn": "2024-01-01T00:00:00Z"}
    (folder / "PYSEC-2099-9.json").write_text(json.dumps(withdrawn))
    ghsa = {**record, "id": "GHSA-x84v-xcm2-53pg", "aliases": ["CVE-2018-18074", "GHSA-zzzz"]}
    (folder / "GHSA-x84v-xcm2-53pg.json").write_text(json.dumps(ghsa))
    (advisory,) = OsvDatabase(tmp_path).query("requests", "2.19.0")
    assert advisory.id == "PYSEC-2018-28"
    assert advisory.aliases == ("CVE-2018-18074", "GHSA-x84v-xcm2-53pg", "GHSA-zzzz")
    assert OsvDatabase(tmp_path).query("requests", "2.20.0") == []


@pytest.mark.parametrize("version", ["not a version", ""])
def test_unparseable_versions_match_nothing(version: str) -> None:
    assert OsvDatabase(OSV_DB).query("requests", version) == []
