"""Chat page: ask the publications, read the answer, check every citation.

Run with `rag ui` (or `streamlit run ui/app.py`); the API it talks to is set by
RAG_UI__API_URL. All retrieval happens behind the API.
"""

from datetime import date

import streamlit as st

from rag.schemas import AnswerResponse, Citation, Health, SearchResult
from ui import render, state
from ui.client import ApiClient, ApiError, ApiUnavailable

_PENDING_KEY = "_pending_question"
EARLIEST_DATE = date(1990, 1, 1)


def _ask_example(question: str) -> None:
    st.session_state[_PENDING_KEY] = question


def _new_conversation() -> None:
    st.session_state[state.TURNS_KEY] = []


def sidebar(client: ApiClient, health: Health | None) -> dict:
    """Filters and answer options, as keyword arguments for ``ask_stream``."""
    with st.sidebar:
        st.button("New conversation", on_click=_new_conversation, width="stretch")
        st.header("Filters")
        dates = st.date_input(
            "Published between",
            value=[],
            min_value=EARLIEST_DATE,  # the default floor, ten years ago, hides the archive
            max_value=date.today(),
            format="YYYY-MM-DD",
            help="Leave empty for any date.",
        )
        author = st.text_input("Author", placeholder="e.g. Jones")
        docs = state.document_index(client) if health else []
        titles = {d.doc_id: f"{d.title} ({d.date[:4]})" if d.date else d.title for d in docs}
        doc_ids = st.multiselect(
            "Publications",
            options=list(titles),
            format_func=titles.__getitem__,
            placeholder="All publications",
        )
        st.header("Answer")
        k = st.slider("Passages to draw on", min_value=1, max_value=10, value=5)
        generator = None
        if health and "openai" in health.generators:
            modes = {"Extractive (quotes only)": "extractive", "Generative (LLM)": "openai"}
            default = 1 if health.generator == "openai" else 0
            generator = modes[st.radio("Answer mode", list(modes), index=default)]
        if health:
            st.caption(f"{health.documents} publications, {health.chunks} passages indexed.")
    filters = render.to_filters(dates if isinstance(dates, tuple) else (dates,), author, doc_ids)
    return {"filters": filters, "k": k, "generator": generator}


def passage_card(
    client: ApiClient,
    marker: str,
    passage: SearchResult,
    body_html: str,
    kind: str | None = None,
    quote: str | None = None,
) -> None:
    where = render.page_label(passage.page, passage.page_end)
    # Several citations often share a publication: lead with what each one quotes.
    head = f"“{render.shorten(quote, 70)}” — " if quote else ""
    label = f"{marker}{head}{passage.title}" + (f", {where}" if passage.page else "")
    with st.expander(label):
        line = render.source_line(
            passage.date, passage.authors, render.page_label(passage.page, passage.page_end)
        )
        if line:
            st.caption(line)
        st.markdown(body_html, unsafe_allow_html=True)
        url = render.file_link(client.file_url(passage.doc_id), passage.page, kind)
        st.markdown(f"[Open the original]({url})")


def citation_card(client: ApiClient, citation: Citation, passages: list[SearchResult]) -> None:
    passage = render.find_passage(citation, passages)
    span = citation.answer_span
    answer = (span.char_start, span.char_end) if span is not None else None
    if passage is not None:
        body = render.highlight(
            passage.text, passage.char_start, citation.char_start, citation.char_end, answer
        )
    else:  # not among the returned passages: cut a window from the document text
        text = state.document_text(client, citation.doc_id)
        if text is not None and text[citation.char_start : citation.char_end] == citation.quote:
            start, snippet = render.window(text, citation.char_start, citation.char_end)
            body = render.highlight(
                snippet, start, citation.char_start, citation.char_end, answer
            )
        else:
            body = render.highlight(citation.quote, 0, 0, len(citation.quote))
        passage = SearchResult(
            rank=0,
            score=0.0,
            chunk_id=citation.chunk_id or "",
            doc_id=citation.doc_id,
            title=citation.title,
            source=citation.source,
            page=citation.page,
            char_start=citation.char_start,
            char_end=citation.char_end,
            text=citation.quote,
            date=citation.date,
            authors=citation.authors,
        )
    # The citation's own page is the one quoted, even if the passage spans two.
    passage = passage.model_copy(
        update={
            "page": citation.page,
            "page_end": None,
            "date": citation.date or passage.date,
            "authors": citation.authors or passage.authors,
        }
    )
    passage_card(client, f"[{citation.marker}] ", passage, body, quote=citation.quote)


def show_answer(client: ApiClient, response: AnswerResponse, slot=None) -> None:
    """The answer (or abstention) and its sources, under the current chat message."""
    slot = slot if slot is not None else st.empty()
    if response.abstained:
        slot.info(render.ABSTAIN_MESSAGE)
        if response.passages:
            st.markdown("**Closest passages**")
        for p in response.passages:
            passage_card(client, "", p, render.highlight(p.text, p.char_start, 0, 0))
        return
    slot.markdown(render.answer_markdown(response.answer))
    if response.unsupported:
        st.caption(
            f"{len(response.unsupported)} generated sentence(s) were left out because "
            "their cited passage does not support them."
        )
    if response.rewritten_query:
        st.caption(f"Searched for: {response.rewritten_query}")
    for citation in response.citations:
        citation_card(client, citation, response.passages)


def ask(client: ApiClient, question: str, turns: list[state.Turn], options: dict) -> None:
    """Stream one answer into the page and remember the turn when it completes."""
    with st.chat_message("user"):
        st.markdown(render.answer_markdown(question))
    history = render.history_messages(
        [(t.question, t.response.answer or render.ABSTAIN_MESSAGE) for t in turns]
    )
    with st.chat_message("assistant"):
        slot = st.empty()
        slot.caption("Searching the publications…")
        text, response = "", None
        try:
            for _, value in client.ask_stream(question, history, **options):
                if isinstance(value, AnswerResponse):
                    response = value
                else:
                    text += value
                    slot.markdown(render.answer_markdown(text) + " ▌")
        except (ApiUnavailable, ApiError) as exc:
            slot.error(str(exc))
            return
        if response is not None:
            show_answer(client, response, slot)
            turns.append(state.Turn(question, response))


def main() -> None:
    st.set_page_config(page_title="Work Foundation publications", page_icon="📚")
    state.navigation()
    client = state.get_client()
    health, problem = state.check_health(client)
    options = sidebar(client, health)
    turns: list[state.Turn] = st.session_state.setdefault(state.TURNS_KEY, [])

    st.title("Ask The Work Foundation's publications")
    st.caption(
        "Answers quote the indexed reports; every [n] links to the publication, page and "
        "passage it comes from."
    )
    if problem:
        st.error(problem)

    for turn in turns:
        with st.chat_message("user"):
            st.markdown(render.answer_markdown(turn.question))
        with st.chat_message("assistant"):
            show_answer(client, turn.response)

    question = st.chat_input("Ask about cities, innovation, skills…")
    question = question or st.session_state.pop(_PENDING_KEY, None)
    if question:
        ask(client, question, turns, options)
    elif not turns:
        st.markdown("**Try one of these:**")
        for example in render.EXAMPLE_QUESTIONS:
            st.button(example, on_click=_ask_example, args=(example,))


main()
