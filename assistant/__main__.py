"""`python -m assistant ask "質問" [--json]` and `python -m assistant chat`: the assistant in a terminal."""

from __future__ import annotations

import argparse
import json
import sys

from assistant.answer.result import AnswerResult
from assistant.container import build_assistant, configure_process
from chizai.index.catalog_base import IndexMismatchError
from chizai.index.vector_store import VectorStoreUnavailable
from chizai.settings import get_settings


def format_result(result: AnswerResult) -> str:
    lines = [result.answer, ""]
    if result.citations:
        lines.append("出典 / Sources:")
        for c in result.citations:
            where = f" p.{c.page}" if c.page else ""
            where += f" 「{c.section}」" if c.section else ""
            lines.append(f"  [{c.n}] {c.title}{where} — {c.publisher or c.source} {c.url or ''}".rstrip())
    h = result.handoff
    if h.get("recommended"):
        lines += ["", f"担当者への相談をおすすめします（緊急度: {h.get('urgency') or '-'}）: {h.get('reason_ja', '')}"]
        for w in h.get("windows", [])[:3]:
            lines.append(f"  ・{w['name']} {w.get('url') or ''}")
    for notice in result.notices:
        lines.insert(0, notice)
    return "\n".join(lines)


def _json(result: AnswerResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="知財フロント assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--engine", choices=["auto", "extractive", "local", "openai"], default=None)
    ask.add_argument("--prefecture", default=None)
    chat = sub.add_parser("chat", help="interactive session (empty line or Ctrl-D to quit)")
    chat.add_argument("--engine", choices=["auto", "extractive", "local", "openai"], default=None)
    args = parser.parse_args(argv)

    settings = get_settings()
    configure_process(settings)
    try:
        assistant = build_assistant(settings)
    except (FileNotFoundError, IndexMismatchError, VectorStoreUnavailable) as exc:
        print(f"エラー / error: {exc}", file=sys.stderr)
        return 2
    if args.command == "ask":
        try:
            result = assistant.answer(args.question, engine=args.engine, prefecture=args.prefecture)
        except VectorStoreUnavailable as exc:
            print(f"エラー / error: {exc}", file=sys.stderr)
            return 2
        print(_json(result) if args.json else format_result(result))
        return 0
    history: list[dict[str, str]] = []
    print("知財フロント: ご質問をどうぞ（空行で終了） / ask a question (empty line quits)")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        turn = assistant.prepare(question, history, engine=args.engine)
        for piece in turn.stream():
            print(piece, end="", flush=True)
        print()
        result = turn.result
        assert result is not None
        print("\n" + format_result(result).split("\n\n", 1)[-1] if result.citations or result.handoff.get("recommended") else "")
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": result.answer}]
    return 0


if __name__ == "__main__":
    sys.exit(main())
