"""The OpenAI chat-completions protocol, spoken over the answerer.

Chat clients (the ``openai`` SDKs, Open WebUI, LibreChat, LangChain's ``ChatOpenAI``)
send ``POST /v1/chat/completions``; this module holds the protocol's shapes and the
translations to and from the library's own:

- :func:`to_query`: the last user message is the question, the earlier user and
  assistant messages the history (so follow-ups are rewritten as on ``/ask``); system,
  developer and tool messages, ``temperature`` and the other sampling fields do not
  apply to a cited answer and are ignored. Filters come from an extra ``filters``
  object or, for clients that can only set tags, from ``metadata`` keys.
- :func:`completion` and :func:`stream_chunks`: the reply, whose ``content`` is the
  answer with its ``[n]`` markers and a plain "Sources:" list, plus the structured
  citations (the same objects as ``/ask``) in extra fields strict clients ignore.
- :func:`error_body`: the protocol's ``{"error": {...}}`` shape, which the app's error
  handlers answer with on ``/v1/`` paths.

``usage`` is always zeros: the extractive answer is composed from quoted sentences,
not generated, so there are no generated tokens to count.
"""

from rag.api.protocol.errors import (
    PREFIX,
    ErrorInfo,
    ErrorResponse,
    error_body,
    error_event,
    speaks_protocol,
)
from rag.api.protocol.reply import (
    DONE,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkChoice,
    Delta,
    ModelCard,
    ModelList,
    Usage,
    completion,
    data_event,
    model_list,
    render,
    stream_chunks,
)
from rag.api.protocol.request import (
    CLOSEST,
    SOURCES,
    ChatCompletionRequest,
    ChatQuery,
    ContentPart,
    ProtocolMessage,
    StreamOptions,
    served_models,
    to_query,
)

__all__ = [
    "CLOSEST",
    "DONE",
    "PREFIX",
    "SOURCES",
    "AssistantMessage",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "ChatQuery",
    "Choice",
    "ChunkChoice",
    "ContentPart",
    "Delta",
    "ErrorInfo",
    "ErrorResponse",
    "ModelCard",
    "ModelList",
    "ProtocolMessage",
    "StreamOptions",
    "Usage",
    "completion",
    "data_event",
    "error_body",
    "error_event",
    "model_list",
    "render",
    "served_models",
    "speaks_protocol",
    "stream_chunks",
    "to_query",
]
