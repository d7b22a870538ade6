"""Publications page (the library): what is indexed, sorted as the reader likes, a preview
of each, and forms to add, delete and re-index.

Changes need the library's write key. Under `make run` the UI is given it
(RAG_UI__API_KEY) and nobody types anything; where the operator chose their own key the
page asks for it once per session (ui.state.write_key).
"""

# ruff: noqa: N999 - Streamlit page files start with a digit
from collections.abc import Callable
from typing import Any

import streamlit as st

from rag.schemas import DocumentInfo, FileOutcome
from ui import render, state
from ui.client import ApiClient, ApiError, ApiUnavailable

PAGE_SIZE = 500  # the API's largest page: the table holds every publication, to sort
PREVIEW_CHARS = 3000
API_KEY = "api_key"
SORT_KEY = "library_sort"
_OUTCOMES_KEY = "_upload_outcomes"
_INGEST_KEY = "_last_ingest"
_CONFIRM_KEY = "_confirm_delete"
_STATUSES = ("added", "updated", "removed", "unchanged")
NO_PAGES = "—"

COLUMNS = {
    "Title": st.column_config.TextColumn(width="large"),
    "Authors": st.column_config.TextColumn(width="medium"),
    "Date": st.column_config.TextColumn(width="small"),
    "Type": st.column_config.TextColumn(width="small"),
    "Pages": st.column_config.TextColumn(width="small", help="— for formats without pages."),
    "Chunks": st.column_config.NumberColumn(width="small", help="Passages indexed."),
    "File": st.column_config.TextColumn(width="medium"),
    "Details from": st.column_config.TextColumn(
        width="medium",
        help="Where the title, date and authors were read from (sidecar, html meta, page "
        "layout, pdf info, first page or file name). A NAME.meta.json file beside the "
        "publication corrects any of them.",
    ),
}


def _text(value: str | None) -> str:
    return (value or "").casefold()


# label -> (key of a publication, newest/largest first?); missing values always go last.
SORTS: dict[str, tuple[Callable[[DocumentInfo], Any], bool]] = {
    "Date, newest first": (lambda d: d.date, True),
    "Date, oldest first": (lambda d: d.date, False),
    "Title, A to Z": (lambda d: _text(d.title), False),
    "Authors, A to Z": (lambda d: _text(render.format_authors(d.authors)) or None, False),
    "Type": (lambda d: _text(d.doc_type or d.kind), False),
    "Pages, most first": (lambda d: d.pages, True),
    "Chunks, most first": (lambda d: d.chunks, True),
}


def sort_documents(docs: list[DocumentInfo], how: str) -> list[DocumentInfo]:
    key, descending = SORTS.get(how, SORTS["Date, newest first"])
    present = [d for d in docs if key(d) is not None]
    missing = [d for d in docs if key(d) is None]
    return sorted(present, key=key, reverse=descending) + missing


def fields_from(doc: DocumentInfo) -> str:
    """ "sidecar" when every field came from one place, else "title: page layout · …"."""
    where = doc.fields_from
    if not where:
        return ""
    if len(set(where.values())) == 1 and len(where) == 3:
        return next(iter(where.values()))
    return " · ".join(f"{field}: {source}" for field, source in where.items())


def table_rows(docs: list[DocumentInfo]) -> list[dict[str, Any]]:
    return [
        {
            "Title": d.title,
            "Authors": render.format_authors(d.authors),
            "Date": d.date or "",
            "Type": d.doc_type or d.kind,
            "Pages": str(d.pages) if d.pages is not None else NO_PAGES,
            "Chunks": d.chunks,
            "File": d.source.rsplit("/", 1)[-1],
            "Details from": fields_from(d),
        }
        for d in docs
    ]


def all_documents(client: ApiClient) -> list[DocumentInfo] | None:
    """Every indexed publication; None (after a banner) when the API cannot say."""
    docs: list[DocumentInfo] = []
    try:
        while True:
            page = client.documents(offset=len(docs), limit=PAGE_SIZE)
            docs.extend(page.documents)
            if not page.documents or len(docs) >= page.total:
                return docs
    except (ApiUnavailable, ApiError) as exc:
        from ui.messages import banner

        st.error(banner(exc))
        return None


def publications_table(client: ApiClient) -> list[DocumentInfo]:
    """The table of every publication, sorted as chosen; returns them in that order."""
    docs = all_documents(client)
    if docs is None:
        return []
    if not docs:
        st.info("Nothing is indexed yet; add publications below.")
        return []
    left, right = st.columns([3, 1])
    left.caption(
        f"{len(docs)} publications indexed. Sort with the menu, or click a column's heading."
    )
    how = right.selectbox("Sort by", list(SORTS), key=SORT_KEY, label_visibility="collapsed")
    docs = sort_documents(docs, how)
    st.dataframe(table_rows(docs), hide_index=True, width="stretch", column_config=COLUMNS)
    return docs


def _changed() -> None:
    state.forget_document_index()  # the chat page's publication filter refetches
    st.session_state.pop(_CONFIRM_KEY, None)


def _remember_typed_key() -> None:
    state.remember_key(str(st.session_state.get(API_KEY) or ""))


def key_box() -> None:
    """Ask for the library key once per session, unless the UI was given it."""
    if state.configured_key():
        return
    if state.write_key():
        left, right = st.columns([3, 1])
        left.caption("Library key entered for this session.")
        right.button("Forget the key", on_click=state.forget_key)
        return
    st.text_input(
        "Library key",
        type="password",
        key=API_KEY,
        on_change=_remember_typed_key,
        help="Adding, deleting and re-indexing need the key this assistant was started with; "
        "ask whoever runs it. It is kept until you close this tab.",
    )


def _write_error(exc: ApiError | ApiUnavailable) -> None:
    st.error(state.write_problem(exc))


def manage(client: ApiClient, docs: list[DocumentInfo]) -> None:
    """Preview or delete one publication (deleting asks first)."""
    if not docs:
        return
    titles = {d.doc_id: f"{d.title} ({d.date[:4]})" if d.date else d.title for d in docs}
    doc_id = st.selectbox("Publication", list(titles), format_func=titles.__getitem__)
    if doc_id is None:
        return
    with st.expander("Preview its text"):
        text = state.document_text(client, doc_id)
        if text is None:
            st.warning("The text of this publication could not be fetched; reload the page.")
        else:
            st.text(text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else ""))
    if st.session_state.get(_CONFIRM_KEY) != doc_id:
        if st.button("Delete this publication…"):
            st.session_state[_CONFIRM_KEY] = doc_id
            st.rerun()
        return
    st.warning(f"Delete “{titles[doc_id]}” from the index, and its file if it was uploaded?")
    yes, no = st.columns(2)
    if no.button("Cancel"):
        st.session_state.pop(_CONFIRM_KEY, None)
        st.rerun()
    if yes.button("Yes, delete it", type="primary"):
        try:
            gone = client.delete_document(doc_id, state.write_key())
        except (ApiUnavailable, ApiError) as exc:
            _write_error(exc)
            return
        _changed()
        st.session_state[_INGEST_KEY] = f"Deleted “{gone.title}”."
        st.rerun()


def reindex(client: ApiClient) -> None:
    if not st.button("Re-index the corpus folder", help="Add, update or remove what changed."):
        return
    try:
        with st.spinner("Re-indexing…"):
            summary = client.reindex(state.write_key())
    except (ApiUnavailable, ApiError) as exc:
        _write_error(exc)
        return
    _changed()
    st.session_state[_INGEST_KEY] = ingest_status(summary)
    st.rerun()


def ingest_status(summary: dict[str, Any]) -> str:
    """ "Re-indexed: 1 added, 2 unchanged, 1 failed (a.pdf: reason)." """
    parts = [f"{len(summary.get(s) or [])} {s}" for s in _STATUSES if summary.get(s)]
    failed = summary.get("failed") or []
    if failed:
        reasons = "; ".join(f"{f.get('path')}: {f.get('reason')}" for f in failed[:3])
        parts.append(f"{len(failed)} failed ({reasons})")
    return "Re-indexed: " + (", ".join(parts) or "nothing to do") + "."


def upload_status(outcomes: list[FileOutcome]) -> str:
    """ "Uploaded 2 files: 1 added, 1 failed." """
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"Uploaded {len(outcomes)} file(s): {parts}."


def upload_form(client: ApiClient) -> None:
    with st.form("upload", clear_on_submit=True):  # the picker empties once sent
        files = st.file_uploader(
            "Publications", type=["pdf", "html", "htm", "txt", "md"], accept_multiple_files=True
        )
        st.caption("Optional details, applied to every file in this upload:")
        title = st.text_input("Title", key="upload_title")
        date = st.text_input("Date", placeholder="YYYY-MM-DD", key="upload_date")
        authors = st.text_input("Authors", placeholder="Comma-separated", key="upload_authors")
        submitted = st.form_submit_button("Upload")
    if not submitted:
        return
    if not files:
        st.warning("Choose at least one file to upload.")
        return
    metadata: dict[str, object] = {
        "title": title.strip(),
        "date": date.strip(),
        "authors": [a.strip() for a in authors.split(",") if a.strip()],
    }
    metadata = {k: v for k, v in metadata.items() if v}
    try:
        with st.spinner(f"Adding {len(files)} file(s)…"):
            outcomes = client.upload(
                [(f.name, f.getvalue()) for f in files], metadata or None, state.write_key()
            )
    except (ApiUnavailable, ApiError) as exc:
        st.session_state.pop(_OUTCOMES_KEY, None)
        _write_error(exc)
        return
    st.session_state[_OUTCOMES_KEY] = [
        {"File": o.path, "Outcome": o.status, "Reason": o.reason or ""} for o in outcomes
    ]
    st.session_state[_INGEST_KEY] = upload_status(outcomes)
    _changed()
    st.rerun()  # the table above shows the new publications at once


def main() -> None:
    st.set_page_config(page_title="Publications", page_icon="📚", layout="wide")
    state.navigation()
    client = state.get_client()
    st.title("Publications")
    if status := st.session_state.get(_INGEST_KEY):
        st.success(status)  # the outcome of the last upload, deletion or re-index
    key_box()
    docs = publications_table(client)
    st.header("Manage")
    manage(client, docs)
    reindex(client)
    st.header("Add publications")
    upload_form(client)
    if outcomes := st.session_state.get(_OUTCOMES_KEY):  # one row per file of the last upload
        st.dataframe(outcomes, hide_index=True, width="stretch")
        failed = sum(o["Outcome"] == "failed" for o in outcomes)
        if failed:
            st.warning(f"{failed} file(s) could not be added; see the reasons above.")


main()
