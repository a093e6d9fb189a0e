#!/usr/bin/env python3
"""Validate every qna.yaml under a taxonomy against InstructLab's JSON schemas.

A development helper for the sample taxonomy: it checks the files the way
InstructLab's schema check does, so the taxonomy shipped with synthlab stays
readable by `ilab` too. The schema is picked by the first path component
(knowledge -> knowledge.json; compositional_skills and foundational_skills ->
compositional_skills.json), and the version folder by the file's `version` key.
Duplicate mapping keys are reported as errors as well, because PyYAML silently
keeps the last one while yamllint (strict, as InstructLab runs it) rejects them.

Usage:
    scripts/validate-taxonomy-schema.py [TAXONOMY_DIR] [--schemas DIR]

Prints every problem as `path: [.yaml.path] message` and exits 1 if there is
any, 0 otherwise. Needs PyYAML, jsonschema and referencing.
"""

import argparse
import json
import sys
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DEFAULT_SCHEMAS = Path("/work/shared/instructlab/schema")
SCHEMA_BY_TOP_FOLDER = {
    "knowledge": "knowledge.json",
    "compositional_skills": "compositional_skills.json",
    "foundational_skills": "compositional_skills.json",
}


class DuplicateKeyError(Exception):
    """A mapping in the YAML file repeats a key."""


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate mapping keys instead of keeping the last."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise DuplicateKeyError(
                f"line {mark.line + 1}, column {mark.column + 1}: duplicate key '{key}' "
                f"(first at line {seen[key] + 1})"
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def yaml_path(parts):
    """Formats a JSON-schema error path the way ilab prints it: `.a.b[0].c`, or `.` for the root."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text or "."


def load_validators(schema_root):
    """Builds one validator per (version folder, schema file), resolving `$ref`s within the folder."""
    validators = {}
    for version_dir in sorted(p for p in schema_root.iterdir() if p.is_dir()):
        resources = []
        for schema_file in sorted(version_dir.glob("*.json")):
            contents = json.loads(schema_file.read_text(encoding="utf-8"))
            resources.append((schema_file.name, contents))
        # `$ref: ./version.json` is relative to the referring schema, so every schema gets a
        # base URI inside its own version folder and the registry holds its siblings.
        base = f"file://{version_dir.resolve()}/"
        registry = Registry().with_resources(
            (base + name, Resource.from_contents(contents, default_specification=DRAFT202012))
            for name, contents in resources
        )
        for name, contents in resources:
            schema = dict(contents)
            schema.setdefault("$id", base + name)
            validators[(version_dir.name, name)] = Draft202012Validator(schema, registry=registry)
    return validators


def describe(error):
    """The error message, shortened where jsonschema would print the whole offending value."""
    if error.validator == "minItems":
        return f"Value must have at least {error.validator_value} items (found {len(error.instance)})"
    if error.validator == "uniqueItems":
        return "Value has duplicate items; every item must be unique"
    return error.message


def check_file(path, taxonomy_root, validators):
    """Returns the problems of one qna.yaml as `(yaml path, message)` pairs."""
    relative = path.relative_to(taxonomy_root)
    top = relative.parts[0]
    schema_name = SCHEMA_BY_TOP_FOLDER.get(top)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=StrictLoader)
    except (UnicodeDecodeError, yaml.YAMLError, DuplicateKeyError) as error:
        return [(".", f"cannot read YAML: {error}")]
    if not isinstance(data, dict):
        return [(".", "the file must hold a mapping at the top level")]
    if schema_name is None:
        schema_name = "knowledge.json" if "document" in data else "compositional_skills.json"
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        return [(".version", f"version must be an integer, found {version!r}")]
    if schema_name == "knowledge.json" and version < 3:
        # InstructLab's own rule: knowledge files before version 3 are refused outright.
        return [(".version", f"Version {version} is not supported for knowledge. "
                             "Minimum supported version is 3.")]
    validator = validators.get((f"v{version}", schema_name))
    if validator is None:
        return [(".version", f"no schema v{version}/{schema_name} (supported: v1-v3)")]
    problems = []
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for error in errors:
        problems.append((yaml_path(error.absolute_path), describe(error)))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("taxonomy", nargs="?", default="taxonomy", type=Path)
    parser.add_argument("--schemas", default=DEFAULT_SCHEMAS, type=Path,
                        help="folder holding v1/, v2/, v3/ (default: %(default)s)")
    args = parser.parse_args()

    if not args.taxonomy.is_dir():
        print(f"{args.taxonomy}: not a folder (pass the taxonomy root)", file=sys.stderr)
        return 2
    if not args.schemas.is_dir():
        print(f"{args.schemas}: schema folder not found (pass --schemas DIR)", file=sys.stderr)
        return 2

    validators = load_validators(args.schemas)
    files = sorted(args.taxonomy.rglob("qna.yaml"))
    failed = 0
    for path in files:
        for where, message in check_file(path, args.taxonomy, validators):
            print(f"{path}: [{where}] {message}")
            failed += 1
    for misnamed in sorted(args.taxonomy.rglob("qna.yml")):
        print(f"{misnamed}: [.] misnamed: a leaf file must be named exactly qna.yaml")
        failed += 1
    status = "FAILED" if failed else "OK"
    print(f"{status}: {len(files)} file(s) checked, {failed} problem(s)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
