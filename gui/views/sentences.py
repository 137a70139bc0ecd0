"""What the status bar says when a job ends or a people change is made: true sentences, and
which button goes with them ("Resume", "Show", "Undo"). Plain functions: the window says them.
"""

from __future__ import annotations

from core.jobs import Progress

from ..models.photos import photos_phrase
from .problems_page import Problems

RESUME, SHOW = "Resume", "Show"


def job_end(name: str, how: str, ran: Progress | None, problems: Problems, *,
            indexing: bool = False, after_stop: bool = False) -> tuple[str, str] | None:
    """(sentence, button) for a finished or stopped index or grouping; None when there is
    nothing worth saying (a quiet regrouping that left nothing to do). `ran`: the index's last
    report; `indexing`: another index runs now; `after_stop`: the grouping that follows a
    stopped index."""
    left = (f"{photos_phrase(problems.pending)} still to do"
            if problems.pending and not indexing else "")
    button = RESUME if left else ""
    if name == "index" and how == "cancelled":
        text = f"Indexing stopped: {left}." if left else "Indexing stopped."
    elif name == "index":
        errors = ran.counters.get("errors", 0) if ran is not None else 0
        text = (f"Indexed {photos_phrase(ran.done - errors)}" if ran is not None and ran.total
                else "Indexing finished: no new photos")
        if errors:
            text += f", {errors:,} could not be read"
            button = SHOW
        text += f"; {left}." if left else "."
    elif how == "cancelled":
        text = "Grouping stopped; it is finished next time." + (f" {left}." if left else "")
    elif after_stop:   # still about the stop: the faces found before it are grouped now
        text = (f"Indexing stopped: {left}; the faces found so far are grouped." if left
                else "People updated.")
    elif left:
        text = f"People updated. {left[:1].upper()}{left[1:]}."
    else:
        return None
    offline = len(problems.offline)
    if offline and not button:
        text += f" {offline:,} folder{'' if offline == 1 else 's'} offline."
        button = SHOW
    return text, button


def people_change(action: str, about: str) -> str:
    """What a naming, hiding, merging or moving did, in the undo log's own words (what Undo
    undoes is what was said)."""
    if action == "name":
        old, _arrow, new = about.partition(" -> ")
        if new == "unnamed":
            return f"{old} is unnamed again."
        return f"Named {new}." if old == "unnamed" else f"Renamed {old} to {new}."
    if action == "ignore":  # what the viewer's menu called it
        return f"Marked {about} as not a face."
    verbs = {"merge": "Merged", "move": "Moved", "confirm": "Confirmed", "hide": "Hid",
             "unhide": "Showing", "add-face": "Added"}
    tail = " again" if action == "unhide" else ""
    return f"{verbs.get(action, action.capitalize())} {about}{tail}."
