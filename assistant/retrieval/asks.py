"""What a question asks for — yes/no, steps, where/who, cost, deadline/period, requirements, definition,
comparison — so the answer can lead with the element asked for.

Read from the question's form (its interrogative and predicate), in Japanese and English; the patterns describe
how people ask, not what any particular question is about.
"""

from __future__ import annotations

import re
from typing import Literal

from chizai.text.normalize import nfkc

Asks = Literal["where", "cost", "deadline", "amount", "steps", "requirements", "definition", "comparison", "yes-no", "other"]

# Checked in this order: the more specific form wins (「いくらかかりますか」 is cost, not yes/no).
_FORMS: tuple[tuple[Asks, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        ("where", r"どこ|誰に|だれに|どちらに|窓口|相談先|問い合わせ先|頼めば|\bwhere\b|\bwho\b|which (office|agency|window)"),
        ("cost", r"いくら|費用|料金|手数料|お金|コスト|値段|安く|無料|補助率|罰金|金額|\bhow much\b|\bcost|\bfees?\b|\bprice|\bfines?\b"),
        ("deadline", r"いつまで|期限|期間|何年|何か月|何ヶ月|何日|いつから|締切|締め切り|有効期間|存続期間|\bhow long\b|\bwhen\b|\bdeadline"),
        ("amount", r"どのくらい|どれくらい|どの程度|何件|何人|何割|何倍|\bhow many\b"),
        ("steps", r"どうすれば|どうしたら|どうやって|手順|流れ|方法|やり方|進め方|何から|まず何|\bhow (do|can|should|to)\b|\bsteps?\b"),
        ("requirements", r"要件|条件|必要なもの|必要書類|対象(になる|は)|当てはまる|満たす|\brequirements?\b|\bconditions?\b|\beligib"),
        ("comparison", r"違い|ちがい|比べ|どちら|どっち|異なる|\bdifference\b|\bcompared?\b|\bversus\b|\bvs\.?\b"),
        ("definition", r"とは|って何|ってなに|とはなん|の意味|どういう(もの|こと|制度)|\bwhat (is|are)\b|\bmeaning\b"),
        ("yes-no", r"(でき|でき[るま]|いい|良い|大丈夫|必要|ある|あり|なる|なり|守られ|認められ|使え|かかり|要り|いり)"
                   r"(ます|る|ません|ない)?(か|の|でしょうか|ですか)?[?？]?\s*$|ますか|ませんか|でしょうか|ですか|\b(can|is|are|do|does|should|must|may)\b"),
    )
)


def asks(question: str) -> Asks:
    norm = nfkc(question).strip()
    return next((kind for kind, pattern in _FORMS if pattern.search(norm)), "other")
