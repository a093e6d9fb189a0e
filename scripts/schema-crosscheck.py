#!/usr/bin/env python3
"""Cross-checks qna.yaml files with InstructLab's own JSON schemas (development aid).

Usage: scripts/schema-crosscheck.py SCHEMA_DIR FILE...   (SCHEMA_DIR holds v1/ v2/ v3/)
Prints `file: json.path: message` per error and exits 1 when any file fails. Needs PyYAML,
jsonschema and referencing (pip). synthlab's own validator must agree with it; the taxonomy
tests pin the cases where they were compared.
"""
import json, sys, pathlib
import yaml, jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

def schema_for(path: pathlib.Path, doc, schema_dir: pathlib.Path):
    parts = path.parts
    top = next((p for p in parts if p in ("knowledge", "compositional_skills", "foundational_skills")), None)
    knowledge = top == "knowledge" or (top is None and isinstance(doc, dict) and "document" in doc)
    version = doc.get("version", 1) if isinstance(doc, dict) else 1
    folder = schema_dir / f"v{version if isinstance(version, int) and 1 <= version <= 3 else 3}"
    return folder, ("knowledge.json" if knowledge else "compositional_skills.json")

def main() -> int:
    schema_dir = pathlib.Path(sys.argv[1])
    failed = 0
    for name in sys.argv[2:]:
        path = pathlib.Path(name)
        doc = yaml.safe_load(path.read_text())
        folder, schema_name = schema_for(path, doc, schema_dir)
        resources = [(f"./{n}", Resource(json.loads((folder / n).read_text()), specification=DRAFT202012))
                     for n in ("version.json", "knowledge.json", "compositional_skills.json")]
        schema = json.loads((folder / schema_name).read_text())
        validator = jsonschema.Draft202012Validator(schema, registry=Registry().with_resources(resources))
        for error in validator.iter_errors(doc):
            print(f"{name}: {error.json_path}: {error.message}")
            failed += 1
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
