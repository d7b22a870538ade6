"""Publications page: what is indexed, a preview of each, and forms to add, delete and
re-index."""

# ruff: noqa: N999 - Streamlit page files start with a digit
from typing import Any

import streamlit as st

from rag.schemas import DocumentInfo
from ui import render, state
from ui.client import ApiClient, ApiError, ApiUnavailable

PAGE_SIZE = 20
PREVIEW_CHARS = 3000
API_KEY = "api_key"
_PAGE_KEY = "publications_page"
_OUTCOMES_KEY = "_upload_outcomes"
_INGEST_KEY = "_last_ingest"
_CONFIRM_KEY = "_confirm_delete"
_STATUSES = ("added", "updated", "removed", "unchanged")

COLUMNS = {
    "Title": st.column_config.TextColumn(width="large"),
    "Authors": st.column_config.TextColumn(width="medium"),
    "Date": st.column_config.TextColumn(width="small"),
    "Type": st.column_config.TextColumn(width="small"),
    "Pages": st.column_config.TextColumn(width="small", help="— for formats without pages."),
    "Chunks": st.column_config.NumberColumn(width="small"),
}


def _key() -> str | None:
    return str(st.session_state.get(API_KEY) or "").strip() or None


def table_rows(docs: list[DocumentInfo]) -> list[dict[str, Any]]:
    return [
        {
            "Title": d.title,
            "Authors": render.format_authors(d.authors),
            "Date": d.date or "",
            "Type": d.doc_type or d.kind,
            "Pages": str(d.pages) if d.pages is not None else "—",
            "Chunks": d.chunks,
        }
        for d in docs
    ]


def publications_table(client: ApiClient) -> list[DocumentInfo]:
    """The current page of the table; returns the publications shown."""
    page_no = max(1, int(st.session_state.get(_PAGE_KEY, 1)))
    try:
        page = client.documents(offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        pages = max(1, -(-page.total // PAGE_SIZE))
        if page_no > pages:  # the index shrank since the page was chosen
            st.session_state[_PAGE_KEY] = page_no = pages
            page = client.documents(offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    except (ApiUnavailable, ApiError) as exc:
        st.error(str(exc))
        return []
    st.caption(f"{page.total} publications indexed.")
    if not page.documents:
        st.info("Nothing is indexed yet; upload publications below or run `rag ingest corpus/`.")
        return []
    st.dataframe(
        table_rows(page.documents), hide_index=True, width="stretch", column_config=COLUMNS
    )
    if pages > 1:
        st.number_input("Page", min_value=1, max_value=pages, step=1, key=_PAGE_KEY)
    return page.documents


def _changed() -> None:
    state.forget_document_index()  # the chat page's publication filter refetches
    st.session_state.pop(_CONFIRM_KEY, None)


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
            st.warning("The text of this publication could not be fetched.")
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
            gone = client.delete_document(doc_id, _key())
        except (ApiUnavailable, ApiError) as exc:
            st.error(str(exc))
            return
        _changed()
        st.session_state[_INGEST_KEY] = f"Deleted “{gone.title}”."
        st.rerun()


def reindex(client: ApiClient) -> None:
    if not st.button("Re-index the corpus folder", help="Add, update or remove what changed."):
        return
    try:
        with st.spinner("Re-indexing…"):
            summary = client.reindex(_key())
    except (ApiUnavailable, ApiError) as exc:
        st.error(str(exc))
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
                [(f.name, f.getvalue()) for f in files], metadata or None, _key()
            )
    except (ApiUnavailable, ApiError) as exc:
        st.session_state.pop(_OUTCOMES_KEY, None)
        st.error(str(exc))
        return
    st.session_state[_OUTCOMES_KEY] = [
        {"File": o.path, "Outcome": o.status, "Reason": o.reason or ""} for o in outcomes
    ]
    _changed()


def main() -> None:
    st.set_page_config(page_title="Publications", page_icon="📚", layout="wide")
    state.navigation()
    client = state.get_client()
    st.title("Publications")
    table = st.container()  # filled last, so a change shows up in the table at once
    if status := st.session_state.get(_INGEST_KEY):
        st.success(status)
    st.text_input(
        "API key",
        type="password",
        key=API_KEY,
        help="Adding, deleting and re-indexing need the key the API was started with "
        "(RAG_API__API_KEY).",
    )
    manage_box = st.container()
    st.header("Add publications")
    upload_form(client)
    if outcomes := st.session_state.get(_OUTCOMES_KEY):
        st.dataframe(outcomes, hide_index=True, width="stretch")
        failed = sum(o["Outcome"] == "failed" for o in outcomes)
        if failed:
            st.warning(f"{failed} file(s) could not be added; see the reasons above.")
    with table:
        docs = publications_table(client)
    with manage_box:
        st.header("Manage")
        manage(client, docs)
        reindex(client)


main()
