"""Source viewer: a publication at a cited place, the quoted text highlighted.

Reached from every source card with ``?doc=<id>&start=<offset>&end=<offset>``
(document offsets, as in citations) and ``&also=s-e,s-e`` for the card's other cited
sentences. A PDF shows the cited page itself, rendered by the API with the quote's
region highlighted, and a link that opens the original at that page; text and HTML
show the whole cleaned document with the cited spans highlighted, scrolled to the first.
"""

# ruff: noqa: N999 - Streamlit page files start with a digit
import streamlit as st

from rag.schemas import DocumentDetail
from ui import messages, render, state
from ui.client import ApiClient, ApiError, ApiUnavailable

FRAME_HEIGHT_PX = 560
PAGE_WIDTH_PX = 1000


def _offset(name: str) -> int | None:
    try:
        return max(0, int(st.query_params.get(name, "")))
    except ValueError:
        return None


def _original_link(client: ApiClient, doc: DocumentDetail, page: int | None) -> str:
    url = render.file_link(client.file_url(doc.doc_id), page, doc.kind)
    if doc.kind == "html":  # served as a download, so its scripts never run here
        return f"[Download the original web page]({url})"
    at = f" at page {page}" if page is not None and doc.kind == "pdf" else ""
    return f"[Open the original{at}]({url})"


def show_pdf_page(
    client: ApiClient, doc: DocumentDetail, page: tuple[int, int, int], start: int, end: int
) -> bool:
    """The cited page as an image with the quote boxed; False if it cannot be had."""
    try:
        png = client.page_image(doc.doc_id, page[0], start, end, width=PAGE_WIDTH_PX)
    except (ApiUnavailable, ApiError) as exc:
        st.warning(f"The page could not be shown as an image: {messages.banner(exc)}")
        return False
    st.image(
        png,
        caption=f"Page {page[0]} of {len(doc.page_spans)}, the quoted text highlighted.",
        width="stretch",
    )
    return True


def show_source(client: ApiClient, doc: DocumentDetail, start: int, end: int) -> None:
    end = min(max(end, start), len(doc.text))
    page = render.page_of(doc.page_spans, start)
    where = render.page_label(page[0] if page else None) if doc.page_spans else ""
    line = render.source_line(doc.date, doc.authors, where)
    if line:
        st.caption(line)
    st.markdown(_original_link(client, doc, page[0] if page else None))
    if doc.text[start:end]:
        st.markdown(f"**Quoted:** “{render.md_escape(render.shorten(doc.text[start:end], 300))}”")
    others = render.parse_spans(st.query_params.get("also", ""), len(doc.text))
    spans = [render.Span(start, end), *(render.Span(a, b) for a, b in others)]
    if doc.kind == "pdf" and page is not None and show_pdf_page(client, doc, page, start, end):
        with st.expander(f"The text of page {page[0]}"):
            snippet = doc.text[page[1] : page[2]]
            st.markdown(render.highlight_spans(snippet, page[1], spans), unsafe_allow_html=True)
        return
    st.iframe(render.document_frame(doc.text, spans), height=FRAME_HEIGHT_PX)


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
        st.error(messages.banner(exc))
        return
    st.title(render.md_escape(doc.title))
    show_source(client, doc, start, end)


main()
