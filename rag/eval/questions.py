"""Load the bundled evaluation question set (``questions.jsonl``).

Each line is one :class:`EvalQuestion`. Answerable questions carry short key
``facts`` (alternatives separated by ``|``) that a correct answer must contain,
and ``evidence`` quotes that are exact substrings of the named corpus file.
Unanswerable questions have neither. Follow-up questions name their parent in
``follow_up_of`` and carry the preceding turns in ``history``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["EvalQuestion", "Evidence", "Turn", "default_path", "load_questions"]

_FILENAME = "questions.jsonl"


class Evidence(BaseModel):
    """An exact quote from one corpus file that supports the answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="Corpus file name, e.g. 'streets-ahead-...txt'.")
    quote: str = Field(min_length=1, description="Exact substring of that file.")


class Turn(BaseModel):
    """One earlier message of the conversation a follow-up question belongs to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class EvalQuestion(BaseModel):
    """One evaluation question with its expected facts and supporting evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^q\d{3,}$")
    question: str = Field(min_length=1)
    answerable: bool
    facts: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    history: list[Turn] = Field(default_factory=list)
    follow_up_of: str | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> EvalQuestion:
        if self.answerable:
            if not 1 <= len(self.facts) <= 5:
                raise ValueError(f"{self.id}: answerable questions need 1-5 facts")
            if not 1 <= len(self.evidence) <= 3:
                raise ValueError(f"{self.id}: answerable questions need 1-3 evidence quotes")
        elif self.facts or self.evidence:
            raise ValueError(f"{self.id}: unanswerable questions carry no facts or evidence")
        if (self.follow_up_of is None) != (not self.history):
            raise ValueError(f"{self.id}: follow_up_of and history go together")
        return self

    def fact_alternatives(self) -> list[list[str]]:
        """Each fact split into its ``|``-separated alternatives."""
        return [[alt.strip() for alt in fact.split("|") if alt.strip()] for fact in self.facts]

    @property
    def is_follow_up(self) -> bool:
        return self.follow_up_of is not None


def default_path() -> Path:
    """Path of the question set bundled with the package."""
    try:
        return Path(str(resources.files("rag.eval").joinpath(_FILENAME)))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - odd import setups
        return Path(__file__).parent / _FILENAME


def load_questions(path: Path | None = None) -> list[EvalQuestion]:
    """Read and validate every question in ``path`` (default: the bundled set)."""
    path = default_path() if path is None else path
    questions: list[EvalQuestion] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                questions.append(EvalQuestion.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValueError) as exc:
                raise ValueError(f"{path}:{lineno}: {exc}") from exc
    return questions
