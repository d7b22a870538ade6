"""Chat page: ask the publications, read the answer, check every citation.

Run with `rag ui` (or `streamlit run ui/app.py`); the API it talks to is set by
RAG_UI__API_URL. All retrieval happens behind the API.
"""

from datetime import date

import streamlit as st

from rag.schemas import AnswerResponse, DocumentInfo, Filters, Health, SearchResult
from rag.settings import get_settings
from ui import conversations, forms, messages, render, state
from ui.client import ApiClient, ApiError, ApiUnavailable

_PENDING_KEY = "_pending_question"
_QUESTION_KEY = "question"
_REFUSED_KEY = "_refused"
_PENDING_BOX_KEY = "_refill_question"
_FILTER_KEYS = ("filter_dates", "filter_author", "filter_docs")
EARLIEST_DATE = date(1990, 1, 1)


def _ask_example(question: str) -> None:
    st.session_state[_PENDING_KEY] = question


def _new_conversation() -> None:
    st.session_state[state.TURNS_KEY] = []
    state.chat_id(new=True)


def _clear_filters() -> None:
    for key in _FILTER_KEYS:
        st.session_state.pop(key, None)


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
            key="filter_dates",
        )
        author = st.text_input("Author", placeholder="e.g. Jones", key="filter_author")
        docs = state.document_index(client) if health else []
        titles = {d.doc_id: f"{d.title} ({d.date[:4]})" if d.date else d.title for d in docs}
        doc_ids = st.multiselect(
            "Publications",
            options=list(titles),
            format_func=titles.__getitem__,
            placeholder="All publications",
            key="filter_docs",
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
    filters = forms.to_filters(dates if isinstance(dates, tuple) else (dates,), author, doc_ids)
    return {"filters": filters, "k": k, "generator": generator}


def passage_card(
    client: ApiClient,
    label: str,
    passage: SearchResult,
    body_html: str,
    *,
    anchor: str | None = None,
    expanded: bool = False,
    viewer: str | None = None,
) -> None:
    """A source card: where the passage comes from, the passage, links to the original."""
    if anchor is not None:  # what the answer's [n] links scroll to
        st.markdown(f'<div id="{anchor}"></div>', unsafe_allow_html=True)
    with st.expander(label, expanded=expanded):
        where = render.page_label(passage.page, passage.page_end)
        line = render.source_line(passage.date, passage.authors, where)
        if line:
            st.caption(line)
        st.markdown(body_html, unsafe_allow_html=True)
        url = render.file_link(client.file_url(passage.doc_id), passage.page)
        links = f"[Open the original]({url})"
        if viewer is not None:
            links = f"[Show it in the document]({viewer}) · {links}"
        st.markdown(links)


def _card_label(group: render.SourceGroup, passage: SearchResult) -> str:
    markers = "".join(f"[{m}]" for m in group.markers)
    where = f", {render.page_label(passage.page, passage.page_end)}" if passage.page else ""
    title = render.md_escape(passage.title)  # labels are Markdown: the title stays text
    if len(group.citations) == 1:  # lead with what it quotes: several may share a title
        quote = render.md_escape(render.shorten(group.citations[0].quote, 70))
        return f"{markers} “{quote}” — {title}{where}"
    return f"{markers} {title}{where} — {len(group.spans())} cited sentences"


def citation_card(client: ApiClient, turn: int, group: render.SourceGroup) -> None:
    """One card per passage, every sentence cited from it highlighted with its markers."""
    first = group.citations[0]
    spans = group.spans()
    passage = group.passage
    if passage is not None:
        body = render.highlight_spans(passage.text, passage.char_start, spans)
    else:  # not among the returned passages: cut a window from the document text
        lo = min(c.char_start for c in group.citations)
        hi = max(c.char_end for c in group.citations)
        text = state.document_text(client, first.doc_id)
        if text is not None and all(
            text[c.char_start : c.char_end] == c.quote for c in group.citations
        ):
            start, snippet = render.window(text, lo, hi)
            body = render.highlight_spans(snippet, start, spans)
        else:
            body = render.highlight_spans(
                first.quote, first.char_start, [s for s in spans if s.start == first.char_start]
            )
        passage = SearchResult(
            rank=0,
            score=0.0,
            chunk_id=first.chunk_id or "",
            doc_id=first.doc_id,
            title=first.title,
            source=first.source,
            page=first.page,
            char_start=first.char_start,
            char_end=first.char_end,
            text=first.quote,
        )
    # The citations' own pages are the ones quoted, even if the passage spans more.
    pages = sorted({c.page for c in group.citations if c.page is not None})
    passage = passage.model_copy(
        update={
            "page": pages[0] if pages else None,
            "page_end": pages[-1] if len(pages) > 1 else None,
            "date": first.date or passage.date,
            "authors": first.authors or passage.authors,
        }
    )
    passage_card(
        client,
        _card_label(group, passage),
        passage,
        body,
        anchor=render.card_anchor(turn, group),
        expanded=True,
        viewer=render.viewer_link(
            first.doc_id, first.char_start, first.char_end, [(s.start, s.end) for s in spans]
        ),
    )


def filter_hint(filters: Filters | None, docs: list[DocumentInfo], turn: int) -> None:
    """Say which filter leaves no publication, and offer to clear the filters."""
    culprits = forms.excluding_filters(filters, docs)
    if culprits is None:
        return
    st.warning(
        f"No publication matches {' and '.join(culprits)}: the search had nothing to look "
        "in. Widen or clear the filters and ask again."
    )
    st.button("Clear the filters", on_click=_clear_filters, key=f"clear-filters-{turn}")


def show_answer(
    client: ApiClient,
    response: AnswerResponse,
    slot=None,
    turn: int = 0,
    filters: Filters | None = None,
) -> None:
    """The answer (or abstention) and its sources, under the current chat message."""
    slot = slot if slot is not None else st.empty()
    if response.abstained:
        slot.info(render.ABSTAIN_MESSAGE)
        if not response.passages:
            filter_hint(filters, state.document_index(client), turn)
        else:
            st.markdown("**Closest passages**")
        for p in response.passages:  # the sentence sharing most words with the question
            lo, hi = render.best_sentence(p.text, response.question)
            body = render.highlight(p.text, 0, lo, hi)
            passage_card(
                client,
                render.closest_label(p),
                p,
                body,
                viewer=render.viewer_link(
                    p.doc_id, p.char_start + lo, p.char_start + (hi or len(p.text))
                ),
            )
        return
    groups = render.group_citations(response.citations, response.passages)
    links = render.marker_links(turn, groups)
    slot.markdown(render.answer_html(response.answer, links), unsafe_allow_html=True)
    if response.unsupported:
        st.caption(
            f"{len(response.unsupported)} generated sentence(s) were left out because "
            "their cited passage does not support them."
        )
    if response.rewritten_query:
        st.caption(f"Searched for: {render.md_escape(response.rewritten_query)}")
    for group in groups:
        citation_card(client, turn, group)


def ask(
    client: ApiClient, question: str, turns: list[state.Turn], options: dict, chat: str
) -> None:
    """Stream one answer into the page and remember the turn when it completes."""
    with st.chat_message("user"):
        st.markdown(render.answer_markdown(question))
    history = forms.history_messages(
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
            if messages.keeps_question(exc):  # refused: back into the box, banner above it
                refuse(question, messages.banner(exc), error=True)
            slot.error(messages.banner(exc))
            return
        if response is not None:
            filters = options.get("filters")
            show_answer(client, response, slot, turn=len(turns), filters=filters)
            turns.append(state.Turn(question, response, filters))
            state.save_turns(chat, turns)
            conversations.answer_tools(chat, len(turns) - 1, response)


def refuse(question: str, reason: str, *, error: bool = False) -> None:
    """A question not sent (or refused): say why on the next run, with what was typed put
    back into the box (unless it was blank)."""
    st.session_state[_REFUSED_KEY] = (reason, error)
    if question.strip():
        st.session_state[_PENDING_BOX_KEY] = question
    st.rerun()


def _restore_box() -> tuple[str, bool] | None:
    """Before the box is drawn: refill it with a refused question; (reason, is it the
    API's refusal) if one was refused."""
    if _PENDING_BOX_KEY in st.session_state:
        st.session_state[_QUESTION_KEY] = st.session_state.pop(_PENDING_BOX_KEY)
    return st.session_state.pop(_REFUSED_KEY, None)


def question_limit(health: Health | None) -> int:
    """The API's limit on a question (from /health), else this install's setting."""
    if health is not None and health.max_question_chars:
        return health.max_question_chars
    return get_settings().api.max_query_chars


def main() -> None:
    st.set_page_config(page_title="Work Foundation publications", page_icon="📚")
    state.navigation()
    client = state.get_client()
    health, problem = state.check_health(client)
    options = sidebar(client, health)
    chat = state.chat_id()
    if state.TURNS_KEY not in st.session_state:  # a new session, perhaps a reload
        st.session_state[state.TURNS_KEY] = state.load_turns(chat)
    turns: list[state.Turn] = st.session_state[state.TURNS_KEY]
    limit = question_limit(health)

    st.title("Ask The Work Foundation's publications")
    st.caption(
        "Answers quote the indexed reports; click an [n] to jump to the passage it comes "
        "from, with the quoted sentence highlighted."
    )
    if problem:
        st.error(problem)

    for i, turn in enumerate(turns):
        with st.chat_message("user"):
            st.markdown(render.answer_markdown(turn.question))
        with st.chat_message("assistant"):
            show_answer(client, turn.response, turn=i, filters=turn.filters)
            conversations.answer_tools(chat, i, turn.response)  # copy, rate

    refused = _restore_box()
    if refused:
        (st.error if refused[1] else st.warning)(refused[0])
    typed = st.chat_input(  # shows "n/limit" as the reader types, and stops at the limit
        "Ask about cities, innovation, skills…", max_chars=limit, key=_QUESTION_KEY
    )
    question = typed if isinstance(typed, str) else st.session_state.pop(_PENDING_KEY, None)
    if question is not None and (reason := forms.check_question(question, limit)):
        refuse(question, reason)
    elif question:
        ask(client, question, turns, options, chat)
    elif not turns and not refused:
        st.markdown("**Try one of these:**")
        for example in forms.EXAMPLE_QUESTIONS:
            st.button(example, on_click=_ask_example, args=(example,))
    conversations.sidebar_list(chat)  # last, so the one just asked is listed too


main()
