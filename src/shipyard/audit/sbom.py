"""The SBOM (pure): every dependency found, and the image's packages, as CycloneDX 1.6 JSON.

Built with cyclonedx-python-lib (the CycloneDX project's own library, already in the action's
venv through pip-audit), which writes the specification's field names, bom-refs, serial number
and dependency graph, so the document validates against the official schema. A dependency is a
``library`` with its ``pkg:pypi/...`` purl and one ``shipyard:file`` property per file it was
found in (``shipyard:resolved`` when uv resolved it from a range). The image's packages come
from trivy's own CycloneDX document of the image (``trivy image --format cyclonedx``), each
with a ``shipyard:image`` property; trivy's properties are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .pins import Dependency

if TYPE_CHECKING:
    from cyclonedx.model.component import Component

SPEC_VERSION = "1.6"


def dependency_component(dep: Dependency, files: Sequence[str]) -> Component:
    """One Python dependency as a CycloneDX library."""
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    purl = PackageURL("pypi", name=dep.name, version=dep.version)
    properties = [Property(name="shipyard:file", value=f) for f in files]
    if dep.resolved:
        properties.append(Property(name="shipyard:resolved", value="true"))
    return Component(
        type=ComponentType.LIBRARY,
        name=dep.name,
        version=dep.version,
        purl=purl,
        bom_ref=purl.to_string(),
        properties=properties,
    )


def image_components(document: Mapping[str, Any], image: str) -> list[Component]:
    """The packages of trivy's CycloneDX document of an image (nested ones flattened)."""
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    found: list[Component] = []
    stack = list(document.get("components") or [])
    seen: set[str] = set()
    while stack:
        item = stack.pop(0)
        stack += list(item.get("components") or [])
        name = str(item.get("name") or "")
        if not name:
            continue
        purl_text = str(item.get("purl") or "")
        purl = PackageURL.from_string(purl_text) if purl_text else None
        ref = f"image:{purl_text or name + '@' + str(item.get('version') or '')}"
        if ref in seen:
            continue
        seen.add(ref)
        try:
            kind = ComponentType(str(item.get("type") or "library"))
        except ValueError:
            kind = ComponentType.LIBRARY
        properties = [Property(name="shipyard:image", value=image)]
        properties += [
            Property(name=str(p["name"]), value=str(p.get("value", "")))
            for p in item.get("properties") or []
            if isinstance(p, dict) and p.get("name")
        ]
        found.append(
            Component(
                type=kind,
                name=name,
                group=str(item["group"]) if item.get("group") else None,
                version=str(item["version"]) if item.get("version") else None,
                purl=purl,
                bom_ref=ref,
                properties=properties,
            )
        )
    return found


def build(
    dependencies: Sequence[Dependency],
    places: Mapping[tuple[str, str], Sequence[str]],
    *,
    subject: str,
    tool_version: str,
    image: tuple[str, Mapping[str, Any]] | None = None,
) -> str:
    """The SBOM of `subject` (the repository): its dependencies (every file each was found in,
    from `places`) and, given ``(name, trivy's document)``, the image's packages."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    bom = Bom()
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="shipyard-audit", version=tool_version)
    )
    root = Component(type=ComponentType.APPLICATION, name=subject, bom_ref="subject")
    bom.metadata.component = root
    components = [
        dependency_component(dep, places.get((dep.name, dep.version)) or [dep.file])
        for dep in dependencies
    ]
    top = list(components)
    if image is not None:
        name, document = image
        container = Component(type=ComponentType.CONTAINER, name=name, bom_ref=f"image:{name}")
        packages = image_components(document, name)
        components += [container, *packages]
        top.append(container)
        bom.register_dependency(container, packages)
    for component in components:
        bom.components.add(component)
    bom.register_dependency(root, top)
    text: str = JsonV1Dot6(bom).output_as_string(indent=2)
    return text
