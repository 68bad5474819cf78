"""Generate kubeconform JSON schemas offline (an openapi2jsonschema-like converter).

kubeconform normally downloads its schemas from GitHub, which is not reachable here. This script
builds the same layout from files that come with Go modules (fetched by ``dev/tools.sh`` through the
Go module proxy):

* the Kubernetes OpenAPI v2 spec (``api/openapi-spec/swagger.json`` of ``k8s.io/kubernetes``):
  one standalone (all ``$ref`` inlined), strict (``additionalProperties: false``) schema per
  group/version/kind;
* CustomResourceDefinition YAML files (KEDA's ScaledObject and TriggerAuthentication,
  prometheus-operator's ServiceMonitor, PodMonitor and PrometheusRule): one schema per served
  version, from its ``openAPIV3Schema``, made strict the same way (except where the CRD
  preserves unknown fields).

Output: ``OUT/v<version>-standalone-strict/<kind>-<group prefix>-<version>.json`` (and the same
without ``-strict``), which is kubeconform's ``-schema-location OUT`` convention.

Usage::

    python dev/k8s_schemas.py --swagger swagger.json --kubernetes-version 1.33.13 \
        --crd keda.sh_scaledobjects.yaml --out .cache/kubeconform-schemas
"""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

__all__ = ["convert_crd", "convert_swagger", "file_name", "main", "strictify"]

JSON = dict[str, Any]

_INT_OR_STRING: JSON = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
_QUANTITY: JSON = {"oneOf": [{"type": "string"}, {"type": "number"}]}
_SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _INT_OR_STRING,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": _QUANTITY,
}


def file_name(kind: str, group: str, version: str) -> str:
    """kubeconform's file name: ``<kind>[-<first label of group>]-<version>.json``, lower case."""
    prefix = group.split(".", maxsplit=1)[0].lower()
    middle = f"-{prefix}" if prefix else ""
    return f"{kind.lower()}{middle}-{version.lower()}.json"


def _resolve(node: Any, definitions: JSON, stack: tuple[str, ...]) -> Any:
    """Inline every ``#/definitions/`` reference; a recursive reference becomes ``{}``."""
    if isinstance(node, list):
        return [_resolve(item, definitions, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        name = ref.removeprefix("#/definitions/")
        if name in _SPECIAL:
            return copy.deepcopy(_SPECIAL[name])
        if name in stack:
            return {}
        resolved = _resolve(definitions[name], definitions, (*stack, name))
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return {**resolved, **extra} if extra else resolved
    out: JSON = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {prop: _resolve(sub, definitions, stack) for prop, sub in value.items()}
        else:
            out[key] = _resolve(value, definitions, stack)
    if out.get("format") == "int-or-string" or out.get("x-kubernetes-int-or-string") is True:
        return {k: v for k, v in out.items() if k not in {"type", "format"}} | _INT_OR_STRING
    return out


def strictify(node: Any, *, nullable_properties: bool) -> Any:
    """Forbid unknown fields on every object schema that lists its properties.

    With ``nullable_properties`` a property may also be ``null`` (as upstream's schemas allow).
    """
    if isinstance(node, list):
        return [strictify(item, nullable_properties=nullable_properties) for item in node]
    if not isinstance(node, dict):
        return node
    out: JSON = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            props: JSON = {}
            for prop, sub in value.items():
                child = strictify(sub, nullable_properties=nullable_properties)
                if nullable_properties and isinstance(child, dict):
                    child = _nullable(child)
                props[prop] = child
            out[key] = props
        else:
            out[key] = strictify(value, nullable_properties=nullable_properties)
    if (
        "properties" in out
        and "additionalProperties" not in out
        and out.get("x-kubernetes-preserve-unknown-fields") is not True
    ):
        out["additionalProperties"] = False
    return out


def _nullable(schema: JSON) -> JSON:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    return schema


def _relax(node: Any) -> Any:
    """The non-strict variant: drop the ``additionalProperties: false`` we added."""
    if isinstance(node, list):
        return [_relax(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _relax(v) for k, v in node.items()}
    if out.get("additionalProperties") is False:
        del out["additionalProperties"]
    return out


def _with_gvk(schema: JSON, group: str, version: str, kind: str) -> JSON:
    api_version = f"{group}/{version}" if group else version
    props = dict(schema.get("properties", {}))
    props["apiVersion"] = {"type": "string", "enum": [api_version]}
    props["kind"] = {"type": "string", "enum": [kind]}
    required = sorted({*schema.get("required", []), "apiVersion", "kind"})
    return {**schema, "type": "object", "properties": props, "required": required}


def convert_swagger(swagger: JSON) -> Iterable[tuple[str, JSON]]:
    """Yield ``(file name, standalone schema)`` for every kind in a Kubernetes swagger spec."""
    definitions: JSON = swagger["definitions"]
    for name, definition in sorted(definitions.items()):
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            schema = _resolve(definition, definitions, (name,))
            schema = strictify(schema, nullable_properties=True)
            yield file_name(kind, group, version), _with_gvk(schema, group, version, kind)


def convert_crd(crd: JSON) -> Iterable[tuple[str, JSON]]:
    """Yield ``(file name, schema)`` for every version of a CustomResourceDefinition."""
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"]
    for version in spec["versions"]:
        raw = version.get("schema", {}).get("openAPIV3Schema")
        if not raw:
            continue
        schema = strictify(_resolve(raw, {}, ()), nullable_properties=False)
        # metadata is validated by the API server, not by the CRD schema.
        schema.setdefault("properties", {})["metadata"] = {"type": "object"}
        yield (
            file_name(kind, group, version["name"]),
            _with_gvk(schema, group, version["name"], kind),
        )


def _write(out: Path, k8s_version: str, items: Iterable[tuple[str, JSON]]) -> int:
    strict_dir = out / f"v{k8s_version}-standalone-strict"
    loose_dir = out / f"v{k8s_version}-standalone"
    strict_dir.mkdir(parents=True, exist_ok=True)
    loose_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, schema in items:
        (strict_dir / name).write_text(json.dumps(schema, indent=1, sort_keys=True))
        (loose_dir / name).write_text(json.dumps(_relax(schema), indent=1, sort_keys=True))
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swagger", type=Path, required=True, help="Kubernetes swagger.json")
    parser.add_argument("--kubernetes-version", required=True, help="e.g. 1.33.13")
    parser.add_argument("--crd", type=Path, action="append", default=[], help="CRD YAML file")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)

    swagger = json.loads(args.swagger.read_text())
    total = _write(args.out, args.kubernetes_version, convert_swagger(swagger))
    for path in args.crd:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                total += _write(args.out, args.kubernetes_version, convert_crd(doc))
    print(f"k8s_schemas: wrote {total} schemas to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
