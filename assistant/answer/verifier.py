"""Is this sentence what the passage says? Supported, contradicted, or not stated — checked, not guessed.

Word overlap alone lets contradictions through: 「営業秘密は特許のように登録すれば守られます」 shares most of its
words with the passage that says the opposite. So after the overlap test (is the sentence about this passage at
all?) the lexical verifier compares what overlap cannot see:

* **polarity** against the passage sentence it paraphrases (できる/できない, 必要/不要, 〜しなければならない/〜しなくてよい);
* **numbers with their units** (10年 ≠ 20年, 3か月 ≠ 3年), which also covers dates and periods;
* **institutions and windows** (特許庁 ≠ 文化庁);
* **absolute claims** the passage hedges (必ず/すべて where it says 原則/場合がある).

Anything it cannot vouch for is ``not_stated``; case-specific verdicts are screened before (``verdicts.py``). When an
OpenAI-compatible model is configured, :class:`JudgedVerifier` asks it about the sentences the lexical check leaves
in doubt, and counts what that costs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

import yaml

from chizai.text.normalize import nfkc
from chizai.text.sentences import MARKER, sentence_spans
from chizai.text.terms import content_terms

Label = Literal["supported", "contradicted", "not_stated"]
INSTITUTIONS_FILE = Path(__file__).with_name("institutions.yaml")

# Obligations are double negatives in Japanese (しなければならない = must): read them as positive first.
_OBLIGATION = re.compile(
    r"(な|無)(けれ|く)(ば|ては|ちゃ)(なら|なり|いけ|だめ|ダメ)(ない|ず|ぬ|ません)?|ざるを得(ない|ません)"
    r"|(な|無)(いと|きゃ|くちゃ)(だめ|ダメ|いけ(ない|ません)|なら(ない)|なりません)"
)
_NEGATION = re.compile(
    r"(?<!し)ない|なく|無い|無く|ません|(?<=[かさたなまらがざだば])ず(?!つ)|ぬ(?=[。、]|$)|不要|不可|不可能|禁止|"
    r"認められない|対象外|ありません|なし(?![得])|無し|にくい|にくく|づらい|難しい|難しく|\bnot\b|\bno\b|\bnever\b|\bcannot\b|n't\b|\bwithout\b|"
    r"\bunnecessary\b|\bnot required\b"
)
_NUMBER_UNIT = re.compile(
    r"(\d+(?:[.,]\d+)*)\s*(分の\s*\d+|年度|年|か月|ヶ月|カ月|ケ月|箇月|月|週間|日|時間|分|万円|億円|円|%|パーセント|割|倍|件|人|名|社|回|条|項|号|類|区分|歳)?"
)
_ABSOLUTE = re.compile(r"必ず|すべて|全て|全部|全額|常に|絶対|確実に|間違いなく|いかなる|どんな場合も|例外なく|一切|\balways\b|\bnever\b|\ball\b|\bevery\b")
_HEDGE = re.compile(r"原則|場合が(ある|あり)|ことが(ある|あり)|一部|多く|通常|おそれ|可能性|目安|こともあ|ケースも|など")
_KANJI_COUNT = re.compile(r"([〇一二三四五六七八九十百]+)(?=つ|年|か月|ヶ月|カ月|日|週間|時間|人|名|回|件|倍|割|社|条|項|号|分の)")
_KANJI_VALUE = dict(zip("〇一二三四五六七八九", range(10), strict=True))
ANTONYMS_FILE = Path(__file__).with_name("antonyms.yaml")


def _kanji_number(text: str) -> str:
    """三 → 3, 十二 → 12, 二十 → 20 (only numbers a counter follows: 一緒 and 一般 stay words)."""
    total, digit = 0, 0
    for ch in text:
        if ch in ("十", "百"):
            total += (digit or 1) * (10 if ch == "十" else 100)
            digit = 0
        else:
            digit = _KANJI_VALUE[ch]
    return str(total + digit)


@dataclass
class Check:
    label: Label
    reason: str = ""


class Verifier(Protocol):
    def check(self, sentence: str, passage: str) -> Check: ...


_REGARDLESS = re.compile(r"(を|に)?(問わ|かかわら|関わら|拘ら|限ら)ず|(な|無)くな(る|り|っ)")  # regardless of; cease to be
_CONNECTIVE_TAIL = re.compile(r"(ので|ため|から|けれど|けど|が|ば|と|て|で|し|ても|でも|のに|場合|とき)$")
_PREDICATE_END = re.compile(
    r"(る|た|だ|です|ます|ません|ない|ず|い|う|く|つ|ぬ|れ|せ|可能|不要|必要|対象外|禁止|不可|なし|無し|でき|あり|\w+ed|\w+s)$"
)


def _predicate(clause: str) -> str | None:
    """The clause with obligations (しなければならない) and 「〜を問わず」 (regardless of) read as positive, or None
    for a noun phrase (「出願料や審査請求料」), which states nothing that could be negated."""
    norm = _REGARDLESS.sub("", _OBLIGATION.sub("必要", nfkc(clause).lower())).strip()
    core = _CONNECTIVE_TAIL.sub("", norm)
    return norm if core and _PREDICATE_END.search(core) else None


def _polarity(predicate: str) -> bool:
    """True for a negative clause (an odd number of negations: 「ないわけではない」 is positive)."""
    return len(_NEGATION.findall(predicate)) % 2 == 1


def _numbers(text: str) -> list[tuple[str, str]]:
    norm = _KANJI_COUNT.sub(lambda m: _kanji_number(m.group(1)), nfkc(text))
    return [(n.replace(",", ""), u or "") for n, u in _NUMBER_UNIT.findall(MARKER.sub("", norm))]


@lru_cache(maxsize=1)
def antonym_pairs() -> tuple[tuple[str, str], ...]:
    data = yaml.safe_load(ANTONYMS_FILE.read_text(encoding="utf-8"))
    return tuple((nfkc(a).lower(), nfkc(b).lower()) for a, b in data["pairs"])


@lru_cache(maxsize=1)
def institutions() -> tuple[str, ...]:
    """Names of bodies and windows a sentence may attribute something to (longest first)."""
    data = yaml.safe_load(INSTITUTIONS_FILE.read_text(encoding="utf-8"))
    return tuple(sorted({nfkc(n) for group in data.values() for n in group}, key=len, reverse=True))


def _named(text: str) -> set[str]:
    norm, found = nfkc(text), set()
    for name in institutions():
        if name in norm and not any(name in longer for longer in found):
            found.add(name)
    return found


_CLAUSE = re.compile(
    r"[、,，:：;；「」『』（）()→。！？!?\n]|(?:(?<=ため)|(?<=ので)|(?<=から)|(?<=けど)|(?<=のに)|(?<=れば)|(?<=ないと)"
    r"|(?<=なければ)|(?<=なくても))(?=\S)"
)


_REJECTED = re.compile(r"「[^」\n]{1,120}」\s*(→|⇒|と(思われ|考えられ)がち|という誤解)")


def _without_rejected_claims(passage: str) -> str:
    """The passage minus the claims it quotes in order to reject them (「X」→ …, よくある誤解)."""
    return _REJECTED.sub(" ", passage)


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(MARKER.sub("", text)) if c.strip()]


def _aligned(sentence: str, passage: str, window: int = 1) -> tuple[str, float]:
    """The passage sentence (or run of ``window`` adjacent sentences) that shares most content terms with
    ``sentence``, and that share."""
    s_terms = content_terms(sentence)
    spans = list(sentence_spans(passage.replace("\n", "。")))
    best, share = "", 0.0
    if not s_terms:
        return best, share
    for i in range(len(spans)):
        for w in range(1, window + 1):
            candidate = "".join(spans[i : i + w])
            score = len(s_terms & content_terms(candidate)) / len(s_terms)
            if score > share:
                best, share = candidate, score
    return best, share


class LexicalVerifier:
    """No model: overlap, then polarity, numbers, institutions and absolute claims."""

    def __init__(self, threshold: float = 0.5, local_threshold: float = 0.5) -> None:
        self.threshold = threshold
        self.local_threshold = local_threshold  # the terms must come together in one or two adjacent sentences

    def check(self, sentence: str, passage: str) -> Check:
        s_terms = content_terms(sentence)
        if not s_terms:
            return Check("not_stated", "no content words")
        share = len(s_terms & content_terms(passage)) / len(s_terms)
        if share < self.threshold:
            return Check("not_stated", f"shares {share:.0%} of its terms with the passage")
        _, local = _aligned(sentence, passage, window=2)
        if local < self.local_threshold:
            return Check("not_stated", f"no passage sentence says it (best pair shares {local:.0%})")
        for check in (self._rejected, self._numbers, self._institutions, self._polarity, self._antonyms, self._absolute):
            result = check(sentence, passage)
            if result is not None:
                return result
        return Check("supported")

    @staticmethod
    def _rejected(sentence: str, passage: str) -> Check | None:
        """Restating a claim the passage quotes only to reject it (「特許があれば必ず融資が受けられる」→ …).

        The sentence clause closest to the claim must keep the claim's polarity: 「登録の仕組みがなく」 answers
        「登録すれば守られる」 instead of restating it.
        """
        clauses = [(c, content_terms(c), _predicate(c)) for c in _clauses(sentence)]
        for m in _REJECTED.finditer(passage):
            claim = m.group(0)[1 : m.group(0).index("」")]
            terms, claim_predicate = content_terms(claim), _predicate(claim)
            if len(terms) < 2:
                continue
            share, _, predicate = max(((len(terms & t) / len(terms), c, p) for c, t, p in clauses), key=lambda x: x[0])
            if share >= 0.8 and (predicate is None or claim_predicate is None
                                 or _polarity(predicate) == _polarity(claim_predicate)):
                return Check("contradicted", f"restates 「{claim}」, which the passage rejects")
        return None

    @staticmethod
    def _numbers(sentence: str, passage: str) -> Check | None:
        passage_pairs = _numbers(passage)
        for number, unit in _numbers(sentence):
            if (number, unit) in passage_pairs or (not unit and any(n == number for n, _ in passage_pairs)):
                continue
            same_unit = unit and any(u == unit for _, u in passage_pairs)
            same_number = any(n == number for n, _ in passage_pairs)
            if same_unit or same_number:
                return Check("contradicted", f"{number}{unit} differs from the passage")
            return Check("not_stated", f"{number}{unit} is not in the passage")
        return None

    @staticmethod
    def _institutions(sentence: str, passage: str) -> Check | None:
        named, sources = _named(sentence), _named(passage)
        missing = [n for n in named if n not in nfkc(passage)]
        if not missing:
            return None
        return Check("contradicted" if sources else "not_stated", f"{missing[0]} is not named in the passage")

    @staticmethod
    def _polarity(sentence: str, passage: str) -> Check | None:
        """Clause by clause: each clause of the sentence against the passage clause that shares most of its terms."""
        passage_clauses = [(c, content_terms(c), _predicate(c)) for c in _clauses(_without_rejected_claims(passage))]
        for clause in _clauses(sentence):
            terms, predicate = content_terms(clause), _predicate(clause)
            if not terms or predicate is None:
                continue
            # both ways: the passage clause must be about the same thing too, not merely contain the one shared word
            scored = [(min(len(terms & t) / len(terms), len(terms & t) / len(t)), c, p)
                      for c, t, p in passage_clauses if p is not None and t]
            share, best, best_predicate = max(scored, key=lambda x: x[0], default=(0.0, "", ""))
            if share >= 0.5 and _polarity(predicate) != _polarity(best_predicate):
                return Check("contradicted", f"「{clause}」 says the opposite of 「{best}」")
        return None

    @staticmethod
    def _antonyms(sentence: str, passage: str) -> Check | None:
        aligned, share = _aligned(sentence, _without_rejected_claims(passage))
        if share < 0.5:
            return None
        norm, source = nfkc(sentence).lower(), nfkc(aligned).lower()
        for a, b in antonym_pairs():
            for mine, theirs in ((a, b), (b, a)):
                if mine in norm and theirs in source and mine not in source and theirs not in norm:
                    return Check("contradicted", f"「{mine}」 where the passage says 「{theirs}」")
        return None

    @staticmethod
    def _absolute(sentence: str, passage: str) -> Check | None:
        source_all = nfkc(_without_rejected_claims(passage))
        aligned, _ = _aligned(sentence, source_all)
        words = set(_ABSOLUTE.findall(nfkc(sentence).lower()))
        if words and not any(w in source_all.lower() for w in words) and _HEDGE.search(nfkc(aligned)):
            return Check("contradicted", "makes absolute what the passage qualifies")
        return None


@dataclass
class JudgeCost:
    calls: int = 0
    seconds: float = 0.0
    prompt_chars: int = 0
    overruled: int = 0


@dataclass
class JudgedVerifier:
    """The lexical verifier, with a model deciding the sentences it leaves in doubt.

    In doubt: a sentence the overlap test rejects narrowly (its terms are mostly there: a paraphrase), or one it
    accepts only narrowly. ``ask`` sends one prompt and returns the model's reply; the reply must start with
    SUPPORTED, CONTRADICTED or NOT_STATED, anything else keeps the lexical answer.
    """

    ask: callable  # type: ignore[valid-type]
    lexical: LexicalVerifier = field(default_factory=LexicalVerifier)
    margin: float = 0.15
    cost: JudgeCost = field(default_factory=JudgeCost)

    def check(self, sentence: str, passage: str) -> Check:
        first = self.lexical.check(sentence, passage)
        terms = content_terms(sentence)
        share = len(terms & content_terms(passage)) / len(terms) if terms else 0.0
        if first.label == "contradicted" or abs(share - self.lexical.threshold) > self.margin:
            return first
        prompt = JUDGE_PROMPT.format(passage=passage.strip()[:1500], sentence=sentence.strip())
        t0 = time.perf_counter()
        reply = str(self.ask(prompt) or "").strip().upper()
        self.cost.calls += 1
        self.cost.seconds += time.perf_counter() - t0
        self.cost.prompt_chars += len(prompt)
        label = next((lab for lab in ("SUPPORTED", "CONTRADICTED", "NOT_STATED") if reply.startswith(lab)), None)
        if label is None:
            return first
        judged = Check(label.lower(), "judged by the model")  # type: ignore[arg-type]
        self.cost.overruled += judged.label != first.label
        return judged


JUDGE_PROMPT = (
    "次の「根拠」に照らして「文」が正しいか判定してください。根拠に書かれていることだけで判断します。\n"
    "根拠:\n\"\"\"\n{passage}\n\"\"\"\n文: {sentence}\n"
    "答えは SUPPORTED（根拠が文を支持する）、CONTRADICTED（根拠と矛盾する）、NOT_STATED（根拠に書かれていない）の"
    "いずれか一語だけ。"
)


def evaluate(verifier: Verifier, triples: Iterable[tuple[str, str, str]]) -> dict[str, float]:
    """Catch rate (contradicted and not-stated sentences dropped) and false-drop rate (supported ones dropped)."""
    kept: dict[str, list[bool]] = {"supported": [], "contradicted": [], "not_stated": []}
    for passage, sentence, label in triples:
        kept[label].append(verifier.check(sentence, passage).label == "supported")
    rate = lambda xs: round(sum(xs) / len(xs), 4) if xs else 0.0  # noqa: E731
    return {
        "n": sum(len(v) for v in kept.values()),
        "contradicted_dropped": round(1 - rate(kept["contradicted"]), 4),
        "not_stated_dropped": round(1 - rate(kept["not_stated"]), 4),
        "supported_dropped": round(1 - rate(kept["supported"]), 4),
    }
