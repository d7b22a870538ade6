"""The ``rag`` command line: ingest, search, ask, serve, ui, eval.

Errors from the library become one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from rag.errors import InvalidRequest, RagError
from rag.eval.feedback import feedback_app
from rag.schemas import ChatMessage, Filters
from rag.settings import Settings, get_settings

app = typer.Typer(
    name="rag",
    help="Cited question answering over The Work Foundation's publications.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure retrieval and answer quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(feedback_app, name="feedback")  # rag feedback export (rag.eval.feedback)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _settings() -> Settings:
    return get_settings()


def _echo_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def _filters(
    date_from: str | None,
    date_to: str | None,
    author: str | None,
    doc: list[str] | None,
    kind: str | None,
) -> Filters | None:
    try:
        f = Filters(
            date_from=date_from, date_to=date_to, author=author, doc_ids=doc or None, kind=kind
        )
    except ValueError as exc:
        raise InvalidRequest("--filter", str(exc).splitlines()[0]) from exc
    return None if f.is_empty() else f


DateFrom = Annotated[str | None, typer.Option("--from", help="Published on or after YYYY-MM-DD.")]
DateTo = Annotated[str | None, typer.Option("--to", help="Published on or before YYYY-MM-DD.")]
Author = Annotated[str | None, typer.Option("--author", help="Author name contains this.")]
DocOpt = Annotated[
    list[str] | None, typer.Option("--doc", help="Only this document id (repeatable).")
]
KindOpt = Annotated[str | None, typer.Option("--kind", help="Only pdf, html or text.")]


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of publications.")],
    keep_missing: Annotated[
        bool,
        typer.Option(
            "--keep-missing", help="Keep documents whose files are gone from an ingested folder."
        ),
    ] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Start a new index from scratch (after changing chunking or model settings).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add new, replace changed and remove deleted publications; unchanged ones cost nothing.

    Exits 2 when some files failed and the rest were indexed. Example: rag ingest corpus/ new.pdf
    """
    from rag.service import Service

    summary = Service(_settings()).ingest(
        paths, keep_missing=keep_missing, rebuild=rebuild, progress=not as_json
    )
    if as_json:
        _echo_json(summary.model_dump())
    else:
        for name in ("added", "updated", "removed"):
            for p in getattr(summary, name):
                typer.echo(f"{name:>9}  {p}")
        for f in summary.failed:
            typer.echo(f"   failed  {f['path']}: {f['reason']}", err=True)
        typer.echo(
            f"{len(summary.added)} added, {len(summary.updated)} updated, "
            f"{len(summary.removed)} removed, "
            f"{len(summary.unchanged)} unchanged, {len(summary.failed)} failed; "
            f"{summary.embedded_chunks} chunks embedded"
            + (" (nothing needed embedding)" if summary.embedded_chunks == 0 else "")
        )
    if summary.failed:
        raise typer.Exit(2)  # some files failed, the rest are indexed (README, exit codes)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in plain English.")],
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=500, help="Passages to return.")] = 5,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    author: Author = None,
    doc: DocOpt = None,
    kind: KindOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the passages that best match a query.

    Example: rag search "which cities are high-tech innovators?" -k 5 --json
    """
    from rag.service import Service

    resp = Service(_settings()).search(query, k, _filters(date_from, date_to, author, doc, kind))
    if as_json:
        _echo_json(
            resp.model_dump(exclude={"results": {"__all__": {"date", "authors", "page_end"}}})
        )
        return
    for r in resp.results:
        page = f", p. {r.page}" if r.page else ""
        typer.echo(f"[{r.rank}] {r.score:.3f}  {r.title}{page}  ({r.source})")
        typer.echo(f"    {r.text}\n")


def _read_history(path: Path | None) -> list[ChatMessage]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [ChatMessage.model_validate(m) for m in data]
    except (OSError, ValueError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidRequest(
            "--history",
            f'{path} must be a JSON list of {{"role": "user"|"assistant", "content": str}} '
            f"({first_line})",
        ) from exc


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question in plain English.")],
    history: Annotated[
        Path | None, typer.Option("--history", help="JSON list of earlier chat messages.")
    ] = None,
    k: Annotated[
        int | None, typer.Option("-k", "--k", min=1, max=20, help="Passages to draw on.")
    ] = None,
    generator: Annotated[
        str | None, typer.Option("--generator", help="extractive or openai.")
    ] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    author: Author = None,
    doc: DocOpt = None,
    kind: KindOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question with sentence-level citations, or say the publications do not answer it.

    Example: rag ask "which cities are high-tech innovators?" --json
    """
    from rag.service import Service

    resp = Service(_settings()).ask(
        question,
        history=_read_history(history),
        filters=_filters(date_from, date_to, author, doc, kind),
        k=k,
        generator=generator,
    )
    if as_json:
        _echo_json(
            resp.model_dump(
                include={
                    "question",
                    "answer",
                    "abstained",
                    "citations",
                    "passages",
                    "rewritten_query",
                    "confidence",
                    "unsupported",
                }
            )
        )
        return
    typer.echo(resp.answer + "\n")
    if resp.citations:
        typer.echo("Sources:")
        for c in resp.citations:
            page = f", p. {c.page}" if c.page else ""
            typer.echo(
                f"  [{c.marker}] {c.title}{page} ({c.source}, chars {c.char_start}-{c.char_end})"
            )
            if c.answer_span is not None:
                prob = f", p = {c.probability:.2f}" if c.probability is not None else ""
                typer.echo(f"      answer: \u201c{c.answer_span.text}\u201d{prob}")
    elif resp.abstained and resp.passages:
        typer.echo("Closest passages:")
        for r in resp.passages[:3]:
            typer.echo(f"  - {r.title}: {r.text[:200]}...")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs).

    Example: rag serve --port 8000
    """
    import uvicorn

    from rag.api.app import create_app

    s = _settings()
    app_ = create_app(s, warm=True)
    uvicorn.run(app_, host=host or s.api.host, port=port or s.api.port, log_level="info")


@app.command()
def ui(
    port: Annotated[int | None, typer.Option(help="Port for the web UI.")] = None,
    api_url: Annotated[str | None, typer.Option(help="Base URL of the API.")] = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Run the Streamlit chat UI against a running API.

    Example: rag ui --port 8501 --api-url http://127.0.0.1:8000
    """
    from ui.launch import run

    s = _settings()
    raise typer.Exit(run(port=port or s.ui.port, api_url=api_url or s.ui.api_url, host=host))


@eval_app.command("retrieval")
def eval_retrieval(
    folder: Annotated[
        Path, typer.Argument(help="A BEIR-layout folder (corpus.jsonl, queries.jsonl, qrels/).")
    ],
    split: Annotated[str, typer.Option(help="qrels split to report.")] = "test",
    tune_split: Annotated[
        str, typer.Option(help="qrels split the fusion weight is tuned on.")
    ] = "train",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the JSON report here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """nDCG@10, recall@10/100 and MRR@10 for BM25, dense and hybrid retrieval.

    Example: rag eval retrieval ../shared/data/scifact --split test --json
    """
    from rag.eval.retrieval import evaluate_beir

    report = evaluate_beir(
        folder, settings=_settings(), split=split, tune_split=tune_split, progress=not as_json
    )
    if output:
        output.write_text(json.dumps(report, indent=2))
    if as_json:
        _echo_json(report)
        return
    typer.echo(
        f"{report['dataset']} / {report['split']}  "
        f"(fusion weight alpha={report['alpha']} tuned on {report['tuned_on']})"
    )
    typer.echo(f"{'method':<32}{'nDCG@10':>9}{'R@10':>8}{'R@100':>8}{'MRR@10':>8}")
    for name, m in report["results"].items():
        typer.echo(
            f"{name:<32}{m['ndcg@10']:>9.4f}{m['recall@10']:>8.4f}{m['recall@100']:>8.4f}{m['mrr@10']:>8.4f}"
        )


@eval_app.command("reader")
def eval_reader(
    folder: Annotated[Path, typer.Argument(help="The SQuAD folder (../shared/data/squad).")],
    limit: Annotated[
        int | None, typer.Option(help="Evenly spaced subset of questions per set (quick look).")
    ] = None,
    model: Annotated[
        Path | None, typer.Option(help="Reader folder (default: the one shipped in the package).")
    ] = None,
    method: Annotated[
        list[str] | None, typer.Option("--method", help="reader, bi_encoder or heuristic.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the JSON report here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sentence top-1, span EM/F1 and answerability AUC for the reader and two baselines.

    Example: rag eval reader ../shared/data/squad --json
    """
    import Stemmer

    from rag.answer import model_reader
    from rag.embed import make_embedder
    from rag.eval.reader import evaluate_reader

    s, methods = _settings(), method or ["reader", "bi_encoder", "heuristic"]
    reader = (model_reader(s, model_dir=model)
              if "reader" in methods else None)  # fmt: skip
    embedder = make_embedder(s.embedding, cache_dir=s.cache_dir)
    report = evaluate_reader(folder, reader=reader, embedder=embedder,
                             stemmer=Stemmer.Stemmer("english"), limit=limit, methods=methods)
    if output:
        output.write_text(json.dumps(report, indent=2))
    if as_json:
        _echo_json(report)
        return
    typer.echo(f"{'method':<12}{'top-1':>8}{'EM':>8}{'F1':>8}{'AUC':>8}{'acc':>8}{'pairs/s':>9}")
    for name, m in report.items():
        typer.echo(
            f"{name:<12}{m['sentence_top1']:>8.4f}{m['span_em']:>8.4f}{m['span_f1']:>8.4f}"
            f"{m['answerability_auc']:>8.4f}{m['answerability_acc']:>8.4f}{m['pairs_per_s']:>9.1f}"
        )


@eval_app.command("answers")
def eval_answers(
    file: Annotated[
        Path | None, typer.Argument(help="Question set (JSONL); default: the bundled corpus set.")
    ] = None,
    generator: Annotated[
        str | None, typer.Option("--generator", help="extractive or openai.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the JSON report here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fact recall, citation precision and validity, abstention and latency (the API's code path).

    Example: rag eval answers --json
    """
    from rag.eval.answers import evaluate_answers
    from rag.service import Service

    report = evaluate_answers(Service(_settings()), file, generator=generator)
    if output:
        output.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    if as_json:
        _echo_json(report)
        return
    for key, value in report["summary"].items():
        shown = (
            f"{value:.1%}"
            if isinstance(value, float) and key not in ("latency_ms_p50", "latency_ms_p95")
            else value
        )
        typer.echo(f"{key:<22}{shown}")


def main() -> None:
    """Entry point: run the app, turning library errors into one line and an exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    try:
        app(standalone_mode=False)
    except RagError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
