"""``make schemas-check``: register every schema in ``schemas/`` and keep them BACKWARD compatible.

For each ``*.avsc`` (subject = the record's full name, as producers using confluent-kafka's
``record_subject_name_strategy`` register it; ``--subject-prefix`` isolates test runs):

1. The subject's compatibility level is set to BACKWARD.
2. The previous version is the one the registry holds; on a fresh registry, the file as
   committed in git ``HEAD`` (when it differs from the working tree) is registered first.
3. The working-tree schema is checked against the previous version; an incompatible edit
   fails the check with the registry's reasons and is NOT registered.
4. A compatible schema is registered (the same schema keeps its id).

Exit code 0 when every schema is registered, 1 when any is incompatible or invalid.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

__all__ = ["check", "main"]

ROOT = Path(__file__).resolve().parents[1]


def _head_version(path: Path) -> str | None:
    """The file as committed in git HEAD, or None (untracked, no git)."""
    try:
        rel = path.resolve().relative_to(ROOT)
    except ValueError:
        return None
    result = subprocess.run(
        ["git", "show", f"HEAD:{rel.as_posix()}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout if result.returncode == 0 else None


def _subject(text: str, prefix: str) -> str:
    doc = json.loads(text)
    name = doc["name"] if "." in doc["name"] else f"{doc.get('namespace', '')}.{doc['name']}"
    return f"{prefix}{name.lstrip('.')}"


def check(client: httpx.Client, schemas_dir: Path, prefix: str = "") -> list[str]:
    """Run the steps above; returns one problem per failing schema (empty: all good)."""
    problems: list[str] = []
    for path in sorted(schemas_dir.glob("*.avsc")):
        text = path.read_text()
        try:
            subject = _subject(text, prefix)
        except (ValueError, KeyError) as exc:
            problems.append(f"{path.name}: not a valid Avro record schema: {exc}")
            continue
        client.put(f"/config/{subject}", json={"compatibility": "BACKWARD"}).raise_for_status()
        exists = client.get(f"/subjects/{subject}/versions").status_code == 200
        head = _head_version(path)
        if not exists and head is not None and head != text:
            client.post(f"/subjects/{subject}/versions", json={"schema": head}).raise_for_status()
            exists = True
        if exists:
            answer = client.post(
                f"/compatibility/subjects/{subject}/versions/latest",
                params={"verbose": "true"},
                json={"schema": text},
            )
            body = answer.json()
            if answer.status_code != 200 or not body.get("is_compatible"):
                reasons = body.get("messages") or body.get("message") or body
                problems.append(f"{path.name} ({subject}): not BACKWARD compatible: {reasons}")
                continue
        answer = client.post(f"/subjects/{subject}/versions", json={"schema": text})
        if answer.status_code != 200:
            problems.append(f"{path.name} ({subject}): {answer.text}")
            continue
        print(f"ok  {path.name:40} subject={subject} id={answer.json()['id']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--registry",
        default=os.environ.get("SCHEMA_REGISTRY_URL", "http://localhost:8081"),
        help="schema registry URL (default: SCHEMA_REGISTRY_URL or http://localhost:8081)",
    )
    parser.add_argument("--schemas-dir", type=Path, default=ROOT / "schemas")
    parser.add_argument("--subject-prefix", default="", help="prefix every subject (tests)")
    args = parser.parse_args(argv)
    headers = {"content-type": "application/vnd.schemaregistry.v1+json"}
    with httpx.Client(base_url=args.registry, headers=headers, timeout=10.0) as client:
        try:
            problems = check(client, args.schemas_dir, args.subject_prefix)
        except httpx.HTTPError as exc:
            print(f"FAIL schema registry at {args.registry}: {exc}", file=sys.stderr)
            return 1
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
