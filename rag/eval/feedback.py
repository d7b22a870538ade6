"""``rag feedback export``: the answers rated in the UI, as evaluation questions.

The UI keeps its conversations and ratings in ``DATA_DIR/ui/chats.sqlite3``
(:mod:`ui.chats`); this writes them as JSONL in the shape of
``rag/eval/questions.jsonl``, each row checked against :class:`EvalQuestion`, so a
reviewed set loads with ``rag eval answers FILE``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rag.errors import InvalidRequest
from rag.settings import get_settings

feedback_app = typer.Typer(help="Ratings given to answers in the UI.", no_args_is_help=True)


@feedback_app.command("export")
def feedback_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSONL here (default: stdout).")
    ] = None,
    rating: Annotated[
        str,
        typer.Option(
            "--rating",
            help="up: answers rated right (complete questions); down: drafts to review; any: both.",
        ),
    ] = "up",
) -> None:
    """Rated answers from the UI as evaluation questions (rag/eval/questions.jsonl's shape).

    Example: rag feedback export -o data/reviewed.jsonl && rag eval answers data/reviewed.jsonl
    """
    import sqlite3

    from pydantic import ValidationError

    from rag.eval.questions import EvalQuestion
    from ui.chats import ChatStore, Rating, default_path, export_rows

    if rating not in ("up", "down", "any"):
        raise InvalidRequest("--rating", f"must be up, down or any (got {rating!r})")
    path = default_path(get_settings().data_dir)
    try:
        wanted: Rating | None = None if rating == "any" else "up" if rating == "up" else "down"
        rated = export_rows(ChatStore(path), wanted)
    except sqlite3.Error as exc:
        raise InvalidRequest(str(path), f"is not a readable conversation store ({exc})") from exc
    drafts = 0
    rows = []
    for row in rated:
        try:
            EvalQuestion.model_validate(row)
        except ValidationError:
            if "thumbs up" in row["notes"]:  # a rated-right answer with nothing to check
                typer.echo(f"skipped {row['id']}: a thumbs-up answer without citations", err=True)
                continue
            drafts += 1
        rows.append(row)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    where = f" to {output}" if output else ""
    note = (
        f"; {drafts} draft(s) need facts and evidence before `rag eval answers` can load them"
        if drafts
        else ""
    )
    if not path.exists():
        typer.echo(f"No rated answers yet (no conversation store at {path}).", err=True)
    else:
        typer.echo(f"Exported {len(rows)} rated answer(s){where}{note}.", err=True)
