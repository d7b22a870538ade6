"""The error tree drawn at the top of ``rag/errors.py`` is the class hierarchy."""

from __future__ import annotations

import re

from rag import errors

_NODE = re.compile(r"^(?P<indent>[ │├└─]*?)(?:[├└]── )?(?P<name>[A-Z]\w*)\b")


def drawn_parents() -> dict[str, str | None]:
    """Each class named in the docstring's tree, with the class drawn above it."""
    doc = errors.__doc__ or ""
    lines = [line[4:] for line in doc.splitlines() if line.startswith("    ")]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []  # (column of the name, name)
    for line in lines:
        match = _NODE.match(line)
        if match is None:
            continue  # a continuation line of a description
        column = match.start("name")
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[match["name"]] = stack[-1][1] if stack else None
        stack.append((column, match["name"]))
    return parents


def all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= all_subclasses(sub)
    return found


def test_every_error_class_is_drawn_under_its_parent() -> None:
    drawn = drawn_parents()
    classes = {errors.RagError} | {
        c for c in all_subclasses(errors.RagError) if c.__module__ == errors.__name__
    }
    assert set(drawn) == {c.__name__ for c in classes}
    for cls in classes:
        parent = None if cls is errors.RagError else cls.__bases__[0].__name__
        assert drawn[cls.__name__] == parent, cls.__name__


def test_every_error_class_is_in_all() -> None:
    names = {c.__name__ for c in all_subclasses(errors.RagError)} | {"RagError"}
    assert names <= set(errors.__all__)
