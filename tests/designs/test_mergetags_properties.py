"""Property tests: the merge-tag checker and the sanitiser, on arbitrary input."""

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from mailsoftly.designs.compiler import CompileError, source_compile
from mailsoftly.designs.mergetags import MergeTagError, merge_tags_check, merge_tags_scan
from mailsoftly.designs.rendering import CompiledDesign
from mailsoftly.designs.sanitise import clean_fragment, html_to_text

FIELD = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12).filter(
    lambda s: s[0].isalpha()
)
TEXT = st.text(alphabet=st.characters(blacklist_characters="{}%#", codec="utf-8"), max_size=40)


@st.composite
def good_templates(draw):
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        parts.append(draw(TEXT))
        tag = draw(st.sampled_from(["field", "fallback", "url", "if"]))
        if tag == "field":
            parts.append("{{ contact." + draw(FIELD) + " }}")
        elif tag == "fallback":
            fallback = draw(st.text(alphabet=string.ascii_letters + " ", max_size=10))
            parts.append("{{ contact." + draw(FIELD) + " | default('" + fallback + "') }}")
        elif tag == "url":
            parts.append("{{ unsubscribe_url }}")
        else:
            parts.append("{% if contact." + draw(FIELD) + " %}" + draw(TEXT) + "{% endif %}")
    return "".join(parts)


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_checker_never_crashes_only_refuses(source):
    try:
        tags = merge_tags_check(source)
    except MergeTagError as error:
        assert error.message
        if error.line is not None:
            assert 1 <= error.line <= source.count("\n") + 1
    else:
        for tag in tags:
            assert source[tag.start : tag.start + len(tag.text)] == tag.text


@given(good_templates())
@settings(max_examples=200, deadline=None)
def test_well_formed_templates_are_accepted_and_render(source):
    merge_tags_check(source)
    compiled = source_compile(source_kind="text", source=source)
    email = CompiledDesign(subject="s", html=compiled.html, text=compiled.text).render(
        {"contact": {"first_name": "<Ada>"}, "unsubscribe_url": "https://u.example"}
    )
    assert "<Ada>" not in email.html


@given(TEXT, st.integers(0, 40))
@settings(max_examples=200, deadline=None)
def test_an_unclosed_tag_reports_where_it_opens(prefix, cut):
    source = prefix + "\n{{ contact.first_name"[: 3 + cut]
    try:
        merge_tags_scan(source)
    except MergeTagError as error:
        assert error.line == prefix.count("\n") + 2
        assert error.column == 1
    else:
        raise AssertionError("unclosed tag accepted")


DANGEROUS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        "<iframe src=//evil.example></iframe>",
        "<svg onload=alert(1)>",
        "<object data=x></object>",
        "<form action=//evil.example><button>go</button></form>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
        '<body onload="alert(1)">',
        "<base href=//evil.example/>",
        "<meta http-equiv=refresh content='0;url=//evil.example'>",
    ]
)


@given(st.lists(st.one_of(DANGEROUS, st.text(max_size=30)), max_size=8))
@settings(max_examples=300, deadline=None)
def test_sanitiser_output_never_carries_script(parts):
    cleaned = clean_fragment("".join(parts)).lower()
    for bad in ("<script", "javascript:", "<iframe", "<svg", "<object", "<form", "<base", "<meta"):
        assert bad not in cleaned
    assert re.search(r"<[^>]*\son[a-z]+\s*=", cleaned) is None


@given(st.lists(st.one_of(DANGEROUS, st.text(max_size=30)), max_size=8))
@settings(max_examples=100, deadline=None)
def test_html_designs_are_always_safe_or_refused(parts):
    source = "".join(parts)
    try:
        compiled = source_compile(source_kind="html", source=source)
    except CompileError:
        return
    lowered = compiled.html.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    html_to_text(compiled.html)
