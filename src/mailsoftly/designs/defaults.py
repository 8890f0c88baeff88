"""What a blank design of each format starts with."""

from __future__ import annotations

import json

from mailsoftly.designs.models import SourceKind
from mailsoftly.designs.visualdoc import VisualDoc

_CELL = 'style="padding:16px 24px;font-family:Helvetica,Arial,sans-serif;color:#1f2937;'
_BLANK = {
    # No project data yet: the editor opens on this HTML and saves its own project.
    SourceKind.VISUAL: VisualDoc(
        html=(
            '<table width="100%" cellpadding="0" cellspacing="0" border="0" role="presentation">'
            f'<tr><td {_CELL}font-size:28px;font-weight:bold;">'
            "Hello {{ contact.first_name | default('there') }}</td></tr>"
            f'<tr><td {_CELL}font-size:16px;line-height:1.5;">Write your message here.</td></tr>'
            '<tr><td align="center" style="padding:24px 16px;font-family:Helvetica,Arial,'
            'sans-serif;font-size:12px;color:#6b7280;">'
            '<a href="{{ unsubscribe_url }}" style="color:#6b7280;">Unsubscribe</a>'
            "</td></tr></table>"
        )
    ).dumps(),
    SourceKind.BLOCKS: json.dumps(
        {
            "settings": {},
            "blocks": [
                {"type": "heading", "text": "Hello {{ contact.first_name | default('there') }}"},
                {"type": "text", "text": "Write your message here."},
                {"type": "footer", "text": "You receive this email because you subscribed."},
            ],
        },
        indent=1,
    ),
    SourceKind.HTML: (
        "<h1>Hello {{ contact.first_name | default('there') }}</h1>\n"
        "<p>Write your message here.</p>\n"
        '<p style="font-size:12px;color:#6b7280">'
        '<a href="{{ unsubscribe_url }}">Unsubscribe</a></p>\n'
    ),
    SourceKind.MARKDOWN: (
        "# Hello {{ contact.first_name | default('there') }}\n\n"
        "Write your message here. **Bold**, _italic_ and [links](https://example.com) work.\n"
    ),
    SourceKind.MJML: (
        "<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-column>\n"
        "        <mj-text font-size=\"20px\">Hello {{ contact.first_name | default('there') }}"
        "</mj-text>\n        <mj-text>Write your message here.</mj-text>\n"
        "      </mj-column>\n    </mj-section>\n  </mj-body>\n</mjml>\n"
    ),
    SourceKind.TEXT: "Hello {{ contact.first_name | default('there') }},\n\nWrite your message here.\n",
}


def blank_source(kind: str) -> str:
    return _BLANK[SourceKind(kind)]
