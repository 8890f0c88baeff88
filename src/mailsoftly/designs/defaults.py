"""What a blank design of each format starts with."""

from __future__ import annotations

import json

from mailsoftly.designs.models import SourceKind

_BLANK = {
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
