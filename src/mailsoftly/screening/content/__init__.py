"""The content-check engine: pure functions, no database.

>>> from mailsoftly.screening.content import Content, screen_content
>>> screen_content(Content(subject="Hi", html="<p>Hello</p>", campaign=False)).decision
<Decision.PASS: 'pass'>
"""

from mailsoftly.screening.content.engine import Content, screen_content
from mailsoftly.screening.content.verdict import Decision, Reason, Verdict

__all__ = ["Content", "Decision", "Reason", "Verdict", "screen_content"]
