"""What an export did to each file it planned, in words: the export dialog's table after the
run (before it, the same table shows the dry run's plan)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .run import STOP_MESSAGES, ExportSummary

FAILURE_WORDS = {
    **STOP_MESSAGES,
    "source_missing": "the original is missing",
    "source_unreadable": "the original cannot be read",
    "exists": "a file of that name appeared meanwhile",
    "error": "could not be written",
}
DONE = {"add": "written", "update": "updated", "move": "moved", "remove": "removed",
        "skip": "already there", "keep": "kept", "error": "failed"}


@dataclass
class FileOutcome:
    outcome: str      # written | updated | moved | removed | already there | kept | failed |
    #                   not written
    dest: str
    detail: str       # why (the plan's reason, or the failure in words)
    source: str | None
    kind: str         # photo | xmp


def file_outcomes(summary: ExportSummary) -> list[FileOutcome]:
    """One outcome per planned file, failures first. Reads the destination only after an
    export that stopped early (which of its files were reached)."""
    plan = summary.plan
    if plan is None:
        return []
    failures = {f.dest: f for f in summary.failures}
    out: list[FileOutcome] = []
    for pf in plan.files:
        failure = failures.get(pf.dest)
        if failure is not None:
            words = FAILURE_WORDS.get(failure.reason, failure.reason.replace("_", " "))
            detail = f"{words}: {failure.error}" if failure.error else words
            out.append(FileOutcome("failed", pf.dest, detail, pf.source, pf.kind))
            continue
        outcome, detail = DONE.get(pf.action, pf.action), pf.reason
        if pf.kind == "xmp" and pf.dest[:-len(".xmp")] in failures:
            outcome, detail = "not written", "its photo could not be written"
        elif summary.stopped and pf.action == "add" and not os.path.lexists(pf.dest):
            outcome = "not written"
            detail = f"the export stopped: {STOP_MESSAGES.get(summary.stopped, summary.stopped)}"
        out.append(FileOutcome(outcome, pf.dest, detail, pf.source, pf.kind))
    out.sort(key=lambda o: o.outcome not in ("failed", "not written"))   # stable: plan order
    return out
