"""Facts an advisor needs before calling back: prefecture, industry, company size and deadline.

They are pulled from the user's own words so the consultation sheet is useful even when the user filled in
no form, and so the handoff policy can route to the right local office (prefecture).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, Field

from chizai.text.normalize import keyword_pattern, nfkc

# (正式名, 略称, ローマ字). 略称 is matched too, except where it is an everyday word (see _NEEDS_SUFFIX).
PREFECTURES: tuple[tuple[str, str, str], ...] = (
    ("北海道", "北海道", "hokkaido"),
    ("青森県", "青森", "aomori"),
    ("岩手県", "岩手", "iwate"),
    ("宮城県", "宮城", "miyagi"),
    ("秋田県", "秋田", "akita"),
    ("山形県", "山形", "yamagata"),
    ("福島県", "福島", "fukushima"),
    ("茨城県", "茨城", "ibaraki"),
    ("栃木県", "栃木", "tochigi"),
    ("群馬県", "群馬", "gunma"),
    ("埼玉県", "埼玉", "saitama"),
    ("千葉県", "千葉", "chiba"),
    ("東京都", "東京", "tokyo"),
    ("神奈川県", "神奈川", "kanagawa"),
    ("新潟県", "新潟", "niigata"),
    ("富山県", "富山", "toyama"),
    ("石川県", "石川", "ishikawa"),
    ("福井県", "福井", "fukui"),
    ("山梨県", "山梨", "yamanashi"),
    ("長野県", "長野", "nagano"),
    ("岐阜県", "岐阜", "gifu"),
    ("静岡県", "静岡", "shizuoka"),
    ("愛知県", "愛知", "aichi"),
    ("三重県", "三重", "mie"),
    ("滋賀県", "滋賀", "shiga"),
    ("京都府", "京都", "kyoto"),
    ("大阪府", "大阪", "osaka"),
    ("兵庫県", "兵庫", "hyogo"),
    ("奈良県", "奈良", "nara"),
    ("和歌山県", "和歌山", "wakayama"),
    ("鳥取県", "鳥取", "tottori"),
    ("島根県", "島根", "shimane"),
    ("岡山県", "岡山", "okayama"),
    ("広島県", "広島", "hiroshima"),
    ("山口県", "山口", "yamaguchi"),
    ("徳島県", "徳島", "tokushima"),
    ("香川県", "香川", "kagawa"),
    ("愛媛県", "愛媛", "ehime"),
    ("高知県", "高知", "kochi"),
    ("福岡県", "福岡", "fukuoka"),
    ("佐賀県", "佐賀", "saga"),
    ("長崎県", "長崎", "nagasaki"),
    ("熊本県", "熊本", "kumamoto"),
    ("大分県", "大分", "oita"),
    ("宮崎県", "宮崎", "miyazaki"),
    ("鹿児島県", "鹿児島", "kagoshima"),
    ("沖縄県", "沖縄", "okinawa"),
)
PREFECTURE_NAMES: tuple[str, ...] = tuple(p[0] for p in PREFECTURES)

# 略称だけでは普通の言葉と紛れるもの（大分=だいぶ、三重=みえ／さんじゅう）は正式名のときだけ拾う。
_NEEDS_SUFFIX = {"大分", "三重"}
# English words that are also prefecture romaji need "prefecture"/"-ken" after them.
_ROMAJI_NEEDS_SUFFIX = {"saga", "mie", "nara", "oita"}
# Large cities users name instead of the prefecture; used only when no prefecture name is present.
_CITIES: dict[str, str] = {
    "札幌": "北海道",
    "仙台": "宮城県",
    "さいたま市": "埼玉県",
    "横浜": "神奈川県",
    "川崎市": "神奈川県",
    "相模原": "神奈川県",
    "浜松": "静岡県",
    "名古屋": "愛知県",
    "堺市": "大阪府",
    "神戸": "兵庫県",
    "北九州": "福岡県",
    "博多": "福岡県",
    "nagoya": "愛知県",
    "yokohama": "神奈川県",
    "kobe": "兵庫県",
    "sapporo": "北海道",
    "sendai": "宮城県",
}

_SHORT_TO_FULL = {short: full for full, short, _ in PREFECTURES}
_ROMAJI_TO_FULL = {romaji: full for full, _, romaji in PREFECTURES}
_JA_NAMES = sorted(
    {full for full, _, _ in PREFECTURES} | {s for _, s, _ in PREFECTURES if s not in _NEEDS_SUFFIX},
    key=len,
    reverse=True,
)
# A surname (石川さん, 山口様) is not a place.
_PREF_JA_RE = re.compile("(" + "|".join(map(re.escape, _JA_NAMES)) + ")(?!さん|様|氏|くん|君|ちゃん|先生|殿)")
_PREF_EN_RE = re.compile(
    r"\b(" + "|".join(r for _, _, r in PREFECTURES) + r")\b(\s*[- ]?(prefecture|ken|pref\.?))?", re.IGNORECASE
)
_CITY_RE = re.compile("|".join(map(re.escape, sorted(_CITIES, key=len, reverse=True))), re.IGNORECASE)

# 業種（少数の分かりやすい区分）: label -> keywords. ASCII keywords match as whole words.
INDUSTRIES: dict[str, tuple[str, ...]] = {
    "製造業": (
        "製造業",
        "製造",
        "メーカー",
        "工場",
        "町工場",
        "ものづくり",
        "部品",
        "加工業",
        "金型",
        "機械",
        "manufacturer",
        "manufacturing",
        "factory",
    ),
    "食品": (
        "食品",
        "菓子",
        "和菓子",
        "洋菓子",
        "パン屋",
        "ベーカリー",
        "飲料",
        "酒造",
        "蔵元",
        "醸造",
        "味噌",
        "醤油",
        "弁当",
        "飲食",
        "レストラン",
        "カフェ",
        "ラーメン",
        "food",
        "bakery",
        "restaurant",
        "brewery",
    ),
    "IT/ソフトウェア": (
        "IT企業",
        "IT系",
        "IT会社",
        "ソフトウェア",
        "ソフト開発",
        "アプリ開発",
        "アプリ",
        "システム開発",
        "SaaS",
        "Web制作",
        "ウェブ制作",
        "プログラム開発",
        "software",
        "SaaS",
        "app developer",
    ),
    "小売": (
        "小売",
        "販売店",
        "ネットショップ",
        "通販",
        "EC事業",
        "ECサイト",
        "雑貨店",
        "商店",
        "セレクトショップ",
        "retail",
        "retailer",
        "online shop",
        "e-commerce",
    ),
    "建設": ("建設", "工務店", "建築", "土木", "リフォーム", "設備工事", "construction"),
    "農業": (
        "農業",
        "農家",
        "農園",
        "果樹",
        "畜産",
        "酪農",
        "農産物",
        "茶園",
        "農業法人",
        "farm",
        "farmer",
        "agriculture",
    ),
    "アパレル・繊維": ("アパレル", "繊維", "衣料", "服飾", "縫製", "apparel", "textile"),
    "デザイン・クリエイティブ": (
        "デザイン事務所",
        "デザイナー",
        "制作会社",
        "出版社",
        "イラストレーター",
        "写真スタジオ",
        "design studio",
        "designer",
    ),
    "化粧品・医療": ("化粧品", "医療機器", "薬局", "健康食品", "cosmetics", "medical device"),
    "サービス業": (
        "美容室",
        "サロン",
        "介護",
        "旅館",
        "ホテル",
        "観光",
        "学習塾",
        "コンサル",
        "salon",
        "hotel",
    ),
}

_COMPANY_SIZE_RES: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"(従業員|社員|スタッフ|職員|従業者)(数)?(は|が)?\s*(約|およそ|大体|だいたい)?\s*\d+\s*(人|名)(ほど|くらい|ぐらい|程度)?"
    ),
    re.compile(r"\d+\s*(人|名)(ほど|くらい|ぐらい|程度)?の(会社|企業|工場|町工場|事業所|店|チーム)"),
    re.compile(r"\d+\s*(人|名)(規模|体制|で(やって|経営|営業|運営))"),
    re.compile(r"資本金\s*(は)?\s*\d+(\.\d+)?\s*(万|億)?\s*円"),
    re.compile(
        r"(個人事業主|個人事業|フリーランス|一人社長|ひとり社長|家族経営|小規模事業者|零細企業|スタートアップ|ベンチャー企業|中堅企業)"
    ),
    re.compile(r"\b\d+\s+(employees|staff|people)\b", re.IGNORECASE),
    re.compile(
        r"\b(sole proprietor|freelancer|startup|start-up|family business|small business)\b", re.IGNORECASE
    ),
)

# 期限そのものを示す表現（事実として記録する。トリガーは rules.yaml 側）
_DEADLINE_RE = re.compile(
    r"((大至急|至急|今日中|本日中|明日(まで|中)|明後日まで|あさってまで|今週(中|末)?まで|今週中|来週(の[^。？?\s]{1,6})?(まで|中)"
    r"|今月(中|末)?まで|月末まで|週明けまで|\d+\s*月\s*\d+\s*日(まで|が期限|が締め?切)|(\d+|[一二三四五六七八九十]+)\s*(日|週間|営業日)以内"
    r"|(あと|残り)\s*(\d+|[一二三四五六七八九十]+|数)\s*日|(期限|締め?切り?|〆切|納期|回答期限)(は|が)\s*[^。、？?\s]{1,12}?(まで|です|だ))"
    r"|\b(by tomorrow|by next \w+|within \d+ (days|weeks|business days)|deadline is [^.?,]{1,20}"
    r"|asap|urgent(ly)?)\b)",
    re.IGNORECASE,
)


class Facts(BaseModel):
    """What the user said about their situation; every field optional because users rarely say everything."""

    industry: list[str] = Field(default_factory=list, description="業種（複数あり得る）")
    prefecture: str | None = Field(None, description="都道府県の正式名（例: 大阪府）")
    deadline: str | None = Field(None, description="期限に関する本人の表現（例: 来週まで）")
    company_size: str | None = Field(None, description="企業規模に関する本人の表現（例: 従業員20名）")
    other: dict[str, str] = Field(default_factory=dict, description="呼び出し側が渡したその他の事実")

    def is_empty(self) -> bool:
        return not (self.industry or self.prefecture or self.deadline or self.company_size or self.other)

    def merged(self, override: Facts | dict | None) -> Facts:
        """Values given explicitly by the caller (a form, an advisor) win over what was guessed from text."""
        if override is None:
            return self.model_copy(deep=True)
        data = override.model_dump() if isinstance(override, Facts) else dict(override)
        out = self.model_copy(deep=True)
        known = set(Facts.model_fields)
        for key, value in data.items():
            if value in (None, "", [], {}):
                continue
            if key == "industry":
                out.industry = [value] if isinstance(value, str) else list(value)
            elif key == "other":
                out.other.update({str(k): str(v) for k, v in value.items()})
            elif key in known:
                setattr(out, key, value)
            else:
                out.other[str(key)] = str(value)
        return out


_INDUSTRY_RES: dict[str, tuple[re.Pattern[str], ...]] = {
    label: tuple(keyword_pattern(k) for k in kws) for label, kws in INDUSTRIES.items()
}


def detect_prefectures(text: str) -> list[str]:
    """All prefectures named in the text (正式名), in order of appearance, without duplicates."""
    norm = nfkc(text or "")
    found: list[tuple[int, str]] = []
    for m in _PREF_JA_RE.finditer(norm):
        name = m.group(1)
        found.append((m.start(), name if name in PREFECTURE_NAMES else _SHORT_TO_FULL[name]))
    for m in _PREF_EN_RE.finditer(norm):
        romaji = m.group(1).lower()
        if romaji in _ROMAJI_NEEDS_SUFFIX and not m.group(2):
            continue
        found.append((m.start(), _ROMAJI_TO_FULL[romaji]))
    if not found:
        for m in _CITY_RE.finditer(norm):
            found.append(
                (m.start(), _CITIES[m.group(0).lower()] if m.group(0).isascii() else _CITIES[m.group(0)])
            )
    out: list[str] = []
    for _, name in sorted(found):
        if name not in out:
            out.append(name)
    return out


def detect_prefecture(text: str) -> str | None:
    """The first prefecture named in the text, as its official name (大阪 → 大阪府), or None."""
    names = detect_prefectures(text)
    return names[0] if names else None


def detect_industries(text: str) -> list[str]:
    """Industry labels whose keywords occur, ordered by first occurrence."""
    norm = nfkc(text or "")
    hits: list[tuple[int, str]] = []
    for label, patterns in _INDUSTRY_RES.items():
        positions = [m.start() for p in patterns if (m := p.search(norm))]
        if positions:
            hits.append((min(positions), label))
    return [label for _, label in sorted(hits)]


def detect_company_size(text: str) -> str | None:
    norm = nfkc(text or "")
    for pattern in _COMPANY_SIZE_RES:
        if m := pattern.search(norm):
            return m.group(0).strip()
    return None


def detect_deadline(text: str) -> str | None:
    norm = nfkc(text or "")
    m = _DEADLINE_RE.search(norm)
    return m.group(0).strip() if m else None


def extract_facts(texts: str | Iterable[str]) -> Facts:
    """Facts from one text or several (newest first wins for single-valued fields)."""
    items = [texts] if isinstance(texts, str) else [t for t in texts if t]
    facts = Facts()
    for text in items:
        for label in detect_industries(text):
            if label not in facts.industry:
                facts.industry.append(label)
        facts.prefecture = facts.prefecture or detect_prefecture(text)
        facts.deadline = facts.deadline or detect_deadline(text)
        facts.company_size = facts.company_size or detect_company_size(text)
    return facts
