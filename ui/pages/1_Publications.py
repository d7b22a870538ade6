"""Publications page: what is indexed, and a form to add more."""

# ruff: noqa: N999 - Streamlit page files start with a digit
import streamlit as st

from ui import render, state
from ui.client import ApiClient, ApiError, ApiUnavailable

PAGE_SIZE = 20
_PAGE_KEY = "publications_page"
_OUTCOMES_KEY = "_upload_outcomes"


def publications_table(client: ApiClient) -> None:
    page_no = max(1, int(st.session_state.get(_PAGE_KEY, 1)))
    try:
        page = client.documents(offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    except (ApiUnavailable, ApiError) as exc:
        st.error(str(exc))
        return
    pages = max(1, -(-page.total // PAGE_SIZE))
    if page_no > pages:  # the index shrank since the page was chosen
        st.session_state[_PAGE_KEY] = page_no = pages
        page = client.documents(offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    st.caption(f"{page.total} publications indexed.")
    if not page.documents:
        st.info("Nothing is indexed yet; upload publications below or run `rag ingest corpus/`.")
        return
    rows = [
        {
            "Title": d.title,
            "Date": d.date or "",
            "Authors": render.format_authors(d.authors),
            "Kind": d.kind or "",
            "Pages": d.pages,
            "Chunks": d.chunks,
        }
        for d in page.documents
    ]
    st.dataframe(rows, hide_index=True)
    if pages > 1:
        st.number_input("Page", min_value=1, max_value=pages, step=1, key=_PAGE_KEY)


def upload_form(client: ApiClient) -> None:
    with st.form("upload", clear_on_submit=False):
        files = st.file_uploader(
            "Publications", type=["pdf", "html", "htm", "txt", "md"], accept_multiple_files=True
        )
        st.caption("Optional details, applied to every file in this upload:")
        title = st.text_input("Title", key="upload_title")
        date = st.text_input("Date", placeholder="YYYY-MM-DD", key="upload_date")
        authors = st.text_input("Authors", placeholder="Comma-separated", key="upload_authors")
        api_key = st.text_input(
            "API key",
            type="password",
            key="upload_api_key",
            help="Adding publications needs the key the API was started with (RAG_API__API_KEY).",
        )
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
                [(f.name, f.getvalue()) for f in files], metadata or None, api_key.strip() or None
            )
    except (ApiUnavailable, ApiError) as exc:
        st.session_state.pop(_OUTCOMES_KEY, None)
        st.error(str(exc))
        return
    st.session_state[_OUTCOMES_KEY] = [
        {"File": o.path, "Outcome": o.status, "Reason": o.reason or ""} for o in outcomes
    ]
    state.forget_document_index()  # the chat page's publication filter refetches


def main() -> None:
    st.set_page_config(page_title="Publications", page_icon="📚")
    state.navigation()
    client = state.get_client()
    st.title("Publications")
    table = st.container()  # filled last, so an upload shows up in the table at once
    st.header("Add publications")
    upload_form(client)
    if outcomes := st.session_state.get(_OUTCOMES_KEY):
        st.dataframe(outcomes, hide_index=True)
        failed = sum(o["Outcome"] == "failed" for o in outcomes)
        if failed:
            st.warning(f"{failed} file(s) could not be added; see the reasons above.")
    with table:
        publications_table(client)


main()
