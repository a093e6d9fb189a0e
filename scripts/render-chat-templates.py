#!/usr/bin/env python3
"""Renders llama.cpp's real chat templates with Python's jinja2, as Hugging Face transformers does.

The expected outputs of LabJinja's corpus test (Tests/LabJinjaTests/ChatTemplateCorpusTests.swift).
For every `models/templates/*.jinja` of the vendored llama.cpp tree (see
scripts/fetch-llama-cpp-vendor.sh) it renders two plain conversations (system, user, assistant,
user; and the same without the system message) with and without the generation prompt, and
writes, per template, `<cache>/<template name without .jinja>.json`:

    {"template": "X.jinja", "source": "<the template text>",
     "renderings": [{"conversation": "with-system", "add_generation_prompt": true,
                     "output": "..."}                       # when jinja2 rendered it
                    {"conversation": ..., "add_generation_prompt": ...,
                     "error": "...", "error_type": "TemplateError"}, ...]}   # when it raised

plus `<cache>/cases.json` with the conversations and the other variables, which the Swift test
reads so both sides render the same input. The cache is
`$SYNTHLAB_HOME/llama-cpp-python-0.3.36/chat-template-expected` (SYNTHLAB_HOME defaults to
~/.cache/synthlab), next to the vendor tree.

The environment follows transformers' `_compile_jinja_template` (src/transformers/utils/
chat_template_utils.py): `ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)`
with the loop-controls extension and a `{% generation %}` block that renders its body, a `tojson`
filter that is `json.dumps(..., ensure_ascii=False)`, and the globals `raise_exception` and
`strftime_now`. `strftime_now` formats a FIXED date (2026-01-15 10:30:00) so the renderings are
reproducible; the Swift test sets the same date. `tools` is not passed (undefined).

Usage: python3 scripts/render-chat-templates.py [TEMPLATES_DIR] [OUTPUT_DIR]
"""

import datetime
import json
import os
import subprocess
import sys

try:
    import jinja2
    import jinja2.ext
    import jinja2.nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:
    sys.exit("error: python3 lacks jinja2 (hint: python3 -m pip install jinja2)")

VERSION = "0.3.36"
FIXED_NOW = datetime.datetime(2026, 1, 15, 10, 30, 0)
BOS_TOKEN = "<s>"
EOS_TOKEN = "</s>"

SYSTEM = {"role": "system", "content": "You are a helpful assistant. Answer briefly."}
CONVERSATION = [
    {"role": "user", "content": "What's the capital of France?"},
    {"role": "assistant", "content": "The capital of France is Paris."},
    {"role": "user", "content": "And of Germany? Réponds en un mot."},
]
CONVERSATIONS = {
    "with-system": [SYSTEM] + CONVERSATION,
    "without-system": CONVERSATION,
}


class GenerationBlock(jinja2.ext.Extension):
    """`{% generation %}…{% endgeneration %}` renders its body (transformers' AssistantTracker
    does the same when no assistant mask is requested)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, jinja2.ext.loopcontrols]
    )
    environment.filters["tojson"] = tojson
    environment.globals["raise_exception"] = raise_exception
    environment.globals["strftime_now"] = strftime_now
    return environment


def default_paths():
    home = os.environ.get("SYNTHLAB_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "synthlab")
    root = os.path.join(home, f"llama-cpp-python-{VERSION}")
    templates = os.path.join(root, f"llama_cpp_python-{VERSION}", "vendor", "llama.cpp", "models", "templates")
    return templates, os.path.join(root, "chat-template-expected")


def render_all(templates_dir, output_dir):
    environment = make_environment()
    os.makedirs(output_dir, exist_ok=True)
    cases = {
        "jinja2_version": jinja2.__version__,
        "now": FIXED_NOW.isoformat(),
        "bos_token": BOS_TOKEN,
        "eos_token": EOS_TOKEN,
        "conversations": CONVERSATIONS,
    }
    with open(os.path.join(output_dir, "cases.json"), "w", encoding="utf-8") as file:
        json.dump(cases, file, ensure_ascii=False, indent=1)

    names = sorted(name for name in os.listdir(templates_dir) if name.endswith(".jinja"))
    errors = 0
    for name in names:
        with open(os.path.join(templates_dir, name), encoding="utf-8") as file:
            source = file.read()
        renderings = []
        try:
            template = environment.from_string(source)
        except Exception as error:  # a template jinja2 cannot even compile
            template, compile_error = None, error
        for conversation, messages in CONVERSATIONS.items():
            for add_generation_prompt in (True, False):
                rendering = {"conversation": conversation, "add_generation_prompt": add_generation_prompt}
                try:
                    if template is None:
                        raise compile_error
                    rendering["output"] = template.render(
                        messages=messages,
                        add_generation_prompt=add_generation_prompt,
                        bos_token=BOS_TOKEN,
                        eos_token=EOS_TOKEN,
                    )
                except Exception as error:
                    rendering["error"] = str(error)
                    rendering["error_type"] = type(error).__name__
                    errors += 1
                renderings.append(rendering)
        result = {"template": name, "source": source, "renderings": renderings}
        with open(os.path.join(output_dir, name[: -len(".jinja")] + ".json"), "w", encoding="utf-8") as file:
            json.dump(result, file, ensure_ascii=False, indent=1)
    print(
        f"rendered {len(names)} templates x {2 * len(CONVERSATIONS)} cases with jinja2 {jinja2.__version__} "
        f"({errors} renderings raised) into {output_dir}",
        file=sys.stderr,
    )


def main():
    templates_dir, output_dir = default_paths()
    if len(sys.argv) > 1:
        templates_dir = sys.argv[1]
    if len(sys.argv) > 2:
        output_dir = sys.argv[2]
    if not os.path.isdir(templates_dir):
        sys.exit(f"error: no templates at {templates_dir} (hint: run scripts/fetch-llama-cpp-vendor.sh first)")
    render_all(templates_dir, output_dir)


if __name__ == "__main__":
    main()
