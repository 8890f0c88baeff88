"""Per-recipient render time of a 20 KB email design.

Builds a blocks design whose compiled HTML is about 20 KB with a dozen merge tags
(first name with fallback, custom fields, a condition, unsubscribe and preference URLs),
then times, each as the median of 5 runs of N recipients with distinct contact data:

* ``compile``: the whole pipeline once (blocks → MJML → mrml → css-inline → nh3 → text);
* ``render``: ``CompiledDesign.render`` (subject + HTML + text, sandboxed, autoescaped),
  the call the sending engine makes per recipient;
* ``design_render``: the one-off API, including the content-keyed cache lookup;
* ``jinja_plain``: the same HTML template in a plain, non-sandboxed Jinja2 environment,
  as the floor to compare against;
* ``visual_save``: a visual (GrapesJS) save of the same email: cleaning a project of ~1,000
  components (what the editor page does) and compiling its HTML + CSS. A save is per
  design, not per recipient; its ceiling is 250 ms, so saving feels instant.

Budget: the architecture's end-to-end target is ~3,000 messages/s on 2 cores, i.e. about
0.33 ms of CPU per message for everything; rendering should take well under a third of
that (0.1 ms). The script prints the figures, a JSON line, and exits 1 above budget.

Run: MAILSOFTLY_VAR_DIR=var/bench .venv/bin/python benchmarks/designs_render.py [--n 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

BUDGET_MS = 0.1
VISUAL_SAVE_CEILING_MS = 250


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
    import django

    django.setup()


def _design_source() -> str:
    blocks = [
        {"type": "heading", "text": "Hello {{ contact.first_name | default('there') }}"},
        {"type": "text", "text": "Thanks for being a customer at {{ contact.company }}."},
        {"type": "text", "text": "{% if contact.vip %}**VIP offer inside.**{% endif %}"},
    ]
    paragraph = (
        "Spring is here and so is our new range. We have been busy building things you "
        "asked for, with **bold** ideas and [useful links](https://example.com/more)."
    )
    for i in range(4):
        blocks.append({"type": "heading", "text": f"Story {i + 1}", "level": 2})
        blocks.append({"type": "text", "text": paragraph})
        blocks.append({"type": "button", "text": "Read more", "href": f"https://example.com/s/{i}"})
    blocks.append({"type": "text", "text": "Your plan: {{ contact.plan | upper }}"})
    blocks.append({"type": "footer", "text": "Sent to {{ contact.email }}.", "address": "1 Road"})
    return json.dumps({"blocks": blocks})


def _contexts(n: int) -> list[dict]:
    return [
        {
            "contact": {
                "email": f"person{i}@example.org",
                "first_name": f"Name{i}" if i % 5 else "",
                "company": f"Company {i % 97} & Sons",
                "vip": i % 3 == 0,
                "plan": "pro",
            },
            "unsubscribe_url": f"https://mail.example/u/{i:012d}",
            "preferences_url": f"https://mail.example/p/{i:012d}",
            "web_version_url": "https://mail.example/e/abc",
        }
        for i in range(n)
    ]


def _median_ms_per_call(func, contexts: list[dict], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for context in contexts:
            func(context)
        times.append((time.perf_counter() - start) / len(contexts) * 1000)
    return statistics.median(times)


def _visual_project(cells: int = 300) -> dict:
    """A GrapesJS-like project: a table of text cells with an id rule each."""

    def cell(i: int) -> dict:
        text = {"type": "textnode", "content": f"Paragraph {i} of the news. " * 6}
        return {
            "type": "cell",
            "attributes": {"id": f"c{i}", "style": "padding:8px"},
            "components": [{"type": "text", "components": [text]}],
        }

    rows = [
        {"type": "row", "components": [cell(2 * i), cell(2 * i + 1)]} for i in range(cells // 2)
    ]
    table = {"type": "table", "components": [{"type": "tbody", "components": rows}]}
    wrapper = {"type": "wrapper", "components": [table]}
    return {
        "pages": [{"frames": [{"component": wrapper}]}],
        "styles": [{"selectors": [f"#c{i}"], "style": {"color": "#111111"}} for i in range(cells)],
    }


def _visual_save_ms(html: str, project: dict) -> float:
    from mailsoftly.designs.compiler import source_compile
    from mailsoftly.designs.visualdoc import visual_source

    times = []
    for _ in range(5):
        start = time.perf_counter()
        source = visual_source(html=html, css=".x{color:#111111}", project=project)
        source_compile(source_kind="visual", source=source, preheader="Spring news")
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    _setup()
    from jinja2 import Environment

    from mailsoftly.designs.compiler import source_compile
    from mailsoftly.designs.models import Design
    from mailsoftly.designs.rendering import CompiledDesign, _context, design_render

    source = _design_source()
    compile_times = []
    for _ in range(5):
        start = time.perf_counter()
        compiled = source_compile(source_kind="blocks", source=source, preheader="Spring news")
        compile_times.append((time.perf_counter() - start) * 1000)
    subject = "{{ contact.first_name | default('Hello') }}, our spring news"
    design = Design(
        name="bench",
        subject=subject,
        source_kind="blocks",
        source=source,
        compiled_html=compiled.html,
        compiled_text=compiled.text,
    )
    contexts = _contexts(args.n)
    engine = CompiledDesign(subject=subject, html=compiled.html, text=compiled.text)
    plain = Environment(autoescape=True).from_string(compiled.html.replace("| default(", "| d("))

    figures = {
        "html_kb": round(len(compiled.html.encode()) / 1024, 1),
        "text_kb": round(len(compiled.text.encode()) / 1024, 1),
        "merge_tags": compiled.html.count("{{") + compiled.html.count("{%"),
        "recipients": args.n,
        "compile_ms": round(statistics.median(compile_times), 2),
        "render_ms": round(_median_ms_per_call(engine.render, contexts), 4),
        "design_render_ms": round(
            _median_ms_per_call(
                lambda c: design_render(design=design, contact_context=c), contexts
            ),
            4,
        ),
        "jinja_plain_html_only_ms": round(
            _median_ms_per_call(lambda c: plain.render(_context(c)), contexts), 4
        ),
        "visual_save_ms": round(_visual_save_ms(compiled.html, _visual_project()), 2),
    }
    print(f"Design: {figures['html_kb']} KB HTML, {figures['text_kb']} KB text, "
          f"{figures['merge_tags']} merge tags; {args.n} recipients, median of 5 runs")  # fmt: skip
    print(f"  compile once (whole pipeline)        {figures['compile_ms']:8.2f} ms")
    print(f"  render per recipient (subject+html+text) {figures['render_ms']:.4f} ms")
    print(f"  design_render per recipient          {figures['design_render_ms']:.4f} ms")
    print(f"  plain Jinja2, HTML only (floor)      {figures['jinja_plain_html_only_ms']:.4f} ms")
    print(f"  budget                               {BUDGET_MS:.4f} ms")
    print(f"  visual save (clean project + compile) {figures['visual_save_ms']:7.2f} ms"
          f" (ceiling {VISUAL_SAVE_CEILING_MS} ms)")  # fmt: skip
    print(json.dumps(figures))
    within = figures["visual_save_ms"] <= VISUAL_SAVE_CEILING_MS
    return 0 if figures["render_ms"] <= BUDGET_MS and within else 1


if __name__ == "__main__":
    sys.exit(main())
