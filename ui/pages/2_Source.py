"""Source viewer: a publication's text at a cited place, the quote highlighted.

Reached from every source card with ``?doc=<id>&start=<offset>&end=<offset>``
(document offsets, as in citations). A PDF shows the cited page's text and a link
that opens the original at that page; other formats show the text around the quote.
"""

# ruff: noqa: N999 - Streamlit page files start with a digit
import streamlit as st

from rag.schemas import DocumentDetail
from ui import render, state
from ui.client import ApiClient, ApiError, ApiUnavailable

CONTEXT_CHARS = 1500


def _offset(name: str) -> int | None:
    try:
        return max(0, int(st.query_params.get(name, "")))
    except ValueError:
        return None


def show_source(client: ApiClient, doc: DocumentDetail, start: int, end: int) -> None:
    end = min(max(end, start), len(doc.text))
    page = render.page_of(doc.page_spans, start)
    where = render.page_label(page[0] if page else None) if doc.page_spans else ""
    line = render.source_line(doc.date, doc.authors, where)
    if line:
        st.caption(line)
    url = render.file_link(client.file_url(doc.doc_id), page[0] if page else None, doc.kind)
    st.markdown(f"[Open the original]({url})")
    if doc.text[start:end]:
        st.markdown(f"**Quoted:** “{render.shorten(doc.text[start:end], 300)}”")
    if page is not None:  # the whole cited page
        lo, snippet = page[1], doc.text[page[1] : page[2]]
    else:
        lo, snippet = render.window(doc.text, start, end, radius=CONTEXT_CHARS)
    span = render.Span(start, end)
    st.markdown(render.highlight_spans(snippet, lo, [span]), unsafe_allow_html=True)
    with st.expander("The whole document"):
        st.markdown(render.highlight_spans(doc.text, 0, [span]), unsafe_allow_html=True)


def main() -> None:
    st.set_page_config(page_title="Source", page_icon="📚")
    state.navigation()
    client = state.get_client()
    doc_id = st.query_params.get("doc")
    start, end = _offset("start"), _offset("end")
    if not doc_id or start is None or end is None:
        st.title("Source viewer")
        st.info("Open a source from an answer: each card has a “Show it in the document” link.")
        return
    try:
        doc = client.document(doc_id)
    except (ApiUnavailable, ApiError) as exc:
        st.title("Source viewer")
        st.error(str(exc))
        return
    st.title(doc.title)
    show_source(client, doc, start, end)


main()
