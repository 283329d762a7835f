"""The SBOM (`sbom-file`): CycloneDX JSON of every dependency found, resolved ones too, merged
with trivy's SBOM of an image; checked against the official CycloneDX schema that
cyclonedx-python-lib ships, with jsonschema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.audit.conftest import RunAudit, ServeIndex, report_of
from tests.audit.sample import image_archive


def schema_validator() -> jsonschema.protocols.Validator:
    """The CycloneDX 1.6 JSON schema and the schemas it refers to (SPDX licence ids, JSF),
    from the files cyclonedx-python-lib ships."""
    import cyclonedx.schema

    folder = Path(cyclonedx.schema.__file__).parent / "_res"
    resources = []
    for path in folder.glob("*.schema.json"):
        contents = json.loads(path.read_text())
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        # Registered under their $id and under the file name the main schema refers to.
        resources.append((contents.get("$id", path.name), resource))
        resources.append((f"http://cyclonedx.org/schema/{path.name}", resource))
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((folder / "bom-1.6.SNAPSHOT.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


def properties(component: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in component.get("properties", []) if p["name"] == name]


def test_sbom_of_dependencies_resolved_pins_and_an_image(
    tmp_path: Path, run_audit: RunAudit, serve_index: ServeIndex
) -> None:
    index = serve_index()
    root = tmp_path / "repo"
    root.mkdir()
    (root / "requirements.txt").write_text("requests==2.19.0\nidna==2.7\n")
    (root / "requirements-web.txt").write_text("requests>=2.18,<2.20\n")
    image_archive(
        root / "image.tar",
        {
            "usr/lib/python3.11/site-packages/flask-2.0.0.dist-info/METADATA": (
                "Metadata-Version: 2.1\nName: Flask\nVersion: 2.0.0\n"
            ),
        },
    )
    result = run_audit(
        root,
        env={"UV_INDEX_URL": index.url},
        scanners="dependencies, container",
        image_archive="image.tar",
        sbom_file="out/sbom.cdx.json",
        allow_unavailable="container",  # no trivy vulnerability DB here; the SBOM needs none
    )
    assert result.code == 1, result.log[-3000:]
    path = Path(result.outputs["sbom-file"])
    assert path == (root / "out" / "sbom.cdx.json").resolve()
    assert report_of(result)["sbom_file"] == str(path)
    bom = json.loads(path.read_text())

    validator = schema_validator()
    errors = sorted(validator.iter_errors(bom), key=str)
    assert not errors, errors[:3]
    broken = json.loads(json.dumps(bom))
    broken["components"][0]["purl"] = 42
    assert list(validator.iter_errors(broken))  # the schema is really applied
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"

    by_purl = {c.get("purl"): c for c in bom["components"]}
    pinned = by_purl["pkg:pypi/requests@2.19.0"]
    assert (pinned["name"], pinned["version"]) == ("requests", "2.19.0")
    assert properties(pinned, "shipyard:file") == ["requirements.txt"]
    assert properties(pinned, "shipyard:resolved") == []
    resolved = by_purl["pkg:pypi/requests@2.19.1"]
    assert properties(resolved, "shipyard:file") == ["requirements-web.txt"]
    assert properties(resolved, "shipyard:resolved") == ["true"]
    # idna 2.7: pinned in one file, and pulled in by the other's range.
    assert sorted(properties(by_purl["pkg:pypi/idna@2.7"], "shipyard:file")) == [
        "requirements-web.txt",
        "requirements.txt",
    ]
    assert "pkg:pypi/urllib3@1.23" in by_purl

    # The image: a container component and the packages trivy found in it.
    (container,) = [c for c in bom["components"] if c["type"] == "container"]
    assert container["name"] == "image.tar"
    flask = by_purl["pkg:pypi/flask@2.0.0"]
    assert properties(flask, "shipyard:image") == ["image.tar"]
    assert properties(flask, "aquasecurity:trivy:PkgType") == ["python-pkg"]
    graph = {d["ref"]: d.get("dependsOn", []) for d in bom["dependencies"]}
    assert flask["bom-ref"] in graph[container["bom-ref"]]
    assert container["bom-ref"] in graph[bom["metadata"]["component"]["bom-ref"]]


def test_no_sbom_unless_asked(tmp_path: Path, run_audit: RunAudit) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "requirements.txt").write_text("idna==2.7\n")
    result = run_audit(root, scanners="dependencies")
    assert result.code == 0 and result.outputs["sbom-file"] == ""
    assert not list(root.rglob("*.cdx.json"))


def test_sbom_file_stays_in_the_workspace(tmp_path: Path, run_audit: RunAudit) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    result = run_audit(root, scanners="dependencies", sbom_file="../sbom.json")
    assert result.code == 2 and "sbom-file" in result.log
    assert not (tmp_path / "sbom.json").exists()
