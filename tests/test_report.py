"""The end-of-run summary prints skip reasons and notes verbatim (they quote ids in brackets)."""

from __future__ import annotations

import io

from c7to8.report import Summary


def test_reasons_and_notes_keep_bracketed_text() -> None:
    s = Summary("c7to8 identity migration")
    st = s.stats("Authorization")
    st.read, st.skipped = 3, 1
    s.reasons.append(("Authorization", "Resource ID [welcome] is not supported", 1))
    s.notes.append("memberships of [bold] group are untracked")
    s.finish()
    out = io.StringIO()
    s.print(out)
    text = out.getvalue()
    assert "Resource ID [welcome] is not supported" in text
    assert "memberships of [bold] group are untracked" in text
    assert "1 entities were skipped" in text
