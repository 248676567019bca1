"""Every fixed text of the chat and the handoff form, in Japanese and English: a user who asked in English reads
English around their answer (headings, buttons, feedback, form labels and errors), not only the answer's lead.

The language of a message is the language the pipeline detected for its question (``AnswerResult.language``); a page
without an answer yet speaks Japanese. Texts the assistant itself writes into answers live in
:mod:`assistant.messages`; the advisor pages are Japanese only and keep their texts to themselves.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("ja", "en")

_LABELS: dict[str, tuple[str, str]] = {
    # the answer and its sources
    "sources": ("出典", "Sources"),
    "passages": ("引用 {n} か所", "{n} quoted passages"),
    "passage": ("引用 1 か所", "1 quoted passage"),
    "official_page": ("公式ページを開く", "Open the official page"),
    "page": ("{page} ページ", "page {page}"),
    # the handoff card under an answer
    "handoff_title": ("担当者への相談をおすすめします", "We recommend talking to a person"),
    "urgency": ("緊急度: {level}", "Urgency: {level}"),
    "windows_title": ("おすすめの相談窓口", "Recommended consultation windows (Japanese organisations)"),
    "local_offices": ("お近くの窓口の一覧（公式）", "Local offices (official list)"),
    "connect": ("相談窓口につなぐ", "Connect me with a person"),
    "handed_off": ("受付番号 {no} で担当者に引き継ぎました。", "Handed over to a person: reference number {no}."),
    # feedback
    "feedback_placeholder": (
        "この回答へのコメント（任意）: 役に立った点・足りなかった点",
        "Comment on this answer (optional): what helped, what was missing",
    ),
    "feedback_hint": (
        "評価ボタンを押すと、コメントと一緒に記録されます（個人情報は伏せて保存します）。",
        "Rating this answer saves your comment with it (personal data is masked).",
    ),
    "feedback_saved": ("評価を記録しました。ありがとうございます。", "Thank you, your rating was saved."),
    "feedback_failed": (
        "評価を記録できませんでした。時間をおいてもう一度お試しください。",
        "Your rating could not be saved. Please try again later.",
    ),
    # the chat around the answers
    "new_consultation": ("新しい相談", "New chat"),
    "talk_to_person": ("相談窓口につなぐ", "Talk to a person"),
    "location": ("所在地", "Location"),
    "location_help": (
        "お近くの相談窓口を案内するために使います（任意）。",
        "Used to suggest consultation windows near you (optional).",
    ),
    "location_none": ("選択しない", "Not set"),
    "input_placeholder": ("知財について質問する", "Ask about intellectual property"),
    "answer_error": (
        "申し訳ありません。回答の作成中に問題が起きました。時間をおいてもう一度お試しいただくか、相談窓口をご利用ください。",
        "Sorry, something went wrong while answering. Please try again later, or ask a person at a consultation window.",
    ),
    "handed_off_banner": (
        "このご相談は受付番号 {no} で担当者に引き継ぎました。別のご相談は「新しい相談」から始めてください。",
        "This consultation was handed to a person (reference number {no}). Start another one with “New chat”.",
    ),
    # the handoff form
    "handoff_intro": (
        "チャットの内容から **相談シート** を作りました。内容を確認・修正して送ると、相談窓口の担当者が受け付けます"
        "（相談は無料の窓口が中心です）。",
        "We drafted a **consultation sheet** from your chat. Check it, change what you like and send it: a person at "
        "a consultation window takes it from there (most windows are free). The sheet is in Japanese, for the advisor.",
    ),
    "handoff_blank": (
        "チャットの会話はまだありません。相談内容を直接入力して送ることもできます。",
        "There is no chat yet. You can also type your question here directly.",
    ),
    "f_question": ("相談内容（ご質問）", "Your question"),
    "f_question_help": (
        "担当者が最初に読む内容です。必要に応じて書き足してください。",
        "This is what the advisor reads first. Add anything that helps.",
    ),
    "f_earlier": ("それまでのご質問・経緯（1行に1つ）", "Earlier questions and background (one per line)"),
    "f_answer": ("これまでの AI の回答", "What the assistant answered"),
    "f_prefecture": ("所在地（都道府県）", "Prefecture"),
    "f_prefecture_help": ("地域の窓口に届けるために使います。", "Used to route your case to a local office."),
    "f_industry": ("業種", "Industry"),
    "f_industry_ph": ("例: 食品製造", "e.g. food manufacturing"),
    "f_deadline": ("期限（あれば）", "Deadline (if any)"),
    "f_deadline_ph": ("例: 来週金曜までに回答を求められている", "e.g. we must reply by next Friday"),
    "f_size": ("企業規模", "Company size"),
    "f_size_ph": ("例: 従業員20名", "e.g. 20 employees"),
    "f_attach": ("チャットの会話履歴も添付する", "Attach the chat conversation"),
    "contact_title": ("連絡先（任意）", "Contact details (optional)"),
    "consent": (
        "入力した連絡先と相談内容（個人情報を含む）を、相談窓口の担当者に提供することに同意します。",
        "I agree that my contact details and my question (with any personal data) are given to the windows' advisors.",
    ),
    "consent_help": (
        "同意がない場合、連絡先は保存されず、相談内容の電話番号・メールアドレスなどは伏せ字にして送ります。",
        "Without your consent no contact details are stored, and phone numbers or addresses in your text are masked.",
    ),
    "no_consent": (
        "同意がない場合、連絡先は入力できず保存もされません。相談内容の個人情報は伏せ字（例: 090-\\*\\*\\*\\*-\\*\\*\\*\\*）になります。",
        "Without consent, contact details cannot be entered or stored, and personal data in your text is masked "
        "(e.g. 090-\\*\\*\\*\\*-\\*\\*\\*\\*).",
    ),
    "会社名・屋号": ("会社名・屋号", "Company"),
    "お名前": ("お名前", "Name"),
    "電話番号": ("電話番号", "Phone"),
    "メールアドレス": ("メールアドレス", "E-mail"),
    "連絡のつきやすい時間帯": ("連絡のつきやすい時間帯", "Best time to reach you"),
    "ph_会社名・屋号": ("例: 株式会社〇〇製作所", "e.g. Example Co., Ltd."),
    "ph_お名前": ("例: 山田 太郎", "e.g. Taro Yamada"),
    "ph_電話番号": ("例: 090-1234-5678", "e.g. 090-1234-5678"),
    "ph_メールアドレス": ("例: yamada@example.co.jp", "e.g. yamada@example.co.jp"),
    "ph_連絡のつきやすい時間帯": ("例: 平日 10〜17時", "e.g. weekdays 10:00–17:00"),
    "destination": ("届け先の窓口（緊急度: {level}）", "Where it goes (urgency: {level})"),
    "no_windows": ("（該当する窓口が見つかりません）", "(no matching window)"),
    "type_first": (
        "相談内容を入力すると、届け先の窓口と相談シートを確認できます。",
        "Type your question to see where it goes and the sheet.",
    ),
    "preview": ("送信される相談シート（担当者が読む内容）", "The sheet as the advisor will read it (in Japanese)"),
    "confidential_warning": (
        "相談シートに、社外秘の技術情報や営業秘密かもしれない内容が含まれています。送る前に、窓口の担当者に伝えてよい"
        "内容か確認してください（不要なら上の欄から削除できます）。",
        "The sheet seems to contain confidential technical information or trade secrets. Before sending, check that "
        "you want the advisors to read it (you can delete it in the fields above).",
    ),
    "confidential_ok": (
        "この内容を相談窓口の担当者に伝えることを確認しました",
        "I confirm the advisors may read this",
    ),
    "submit": ("この内容で相談を送る", "Send my consultation"),
    "fix_first": (
        "まだ送信していません。赤字の項目を直してから、もう一度送ってください（入力した内容はそのまま残っています）。",
        "Not sent yet: please fix the fields marked in red and send again (everything you typed is kept).",
    ),
    "send_failed": (
        "送信できませんでした。内容はそのまま残っています。少し時間をおいてもう一度送信してください。",
        "Sending failed. Everything you typed is kept; please try again in a moment.",
    ),
    "my_tickets": ("このブラウザから送った相談", "Consultations sent from this browser"),
    "my_tickets_none": (
        "まだありません。ブラウザを閉じると一覧は表示されなくなるため、受付番号を控えてください。",
        "None yet. This list is gone once you close the browser, so keep your reference numbers.",
    ),
    "back_to_chat": ("チャットに戻る", "Back to the chat"),
    "another": ("別の相談を送る", "Send another consultation"),
    # the receipt
    "received": ("ご相談を受け付けました", "Your consultation has been received"),
    "number": ("受付番号", "Reference number"),
    "keep_number": (
        "お問い合わせの際は、この受付番号をお伝えください。",
        "Quote this number whenever you contact the window.",
    ),
    "who": ("担当する窓口: **{window}**", "Window in charge: **{window}**"),
    "also": ("（ほかに {n} 窓口の担当者も内容を確認できます）", " (advisors of {n} more windows can also read it)"),
    "how": ("ご連絡の方法: {methods}", "How you will be contacted: {methods}"),
    "by_phone": ("お電話（{value}）", "by phone ({value})"),
    "by_email": ("メール（{value}）", "by e-mail ({value})"),
    "or": ("または", "or"),
    "when_pref": ("ご希望の時間帯: {value}", "Preferred time: {value}"),
    "no_contact": (
        "連絡先の入力がないため、担当者からご連絡することはできません。**この受付番号を控えて**、窓口にお問い合わせください。",
        "You left no contact details, so nobody can contact you: **keep this number** and contact the window yourself.",
    ),
    "window_contact": ("窓口の連絡先: {value}", "The window: {value}"),
    "typical": (
        "ご連絡までの目安: これまでの実績では、受付から担当者の対応開始までおよそ{time}です（直近{days}日の{n}件の中央値）。",
        "Typical time: so far an advisor has taken up a case within about {time} of its arrival (median of {n} cases "
        "in the last {days} days).",
    ),
    "typical_unknown": (
        "ご連絡までの目安: この窓口の対応実績がまだ少ないため、目安は表示できません。担当者が内容を確認しだいご連絡します。",
        "Typical time: there are not enough past cases to say yet; an advisor contacts you once they have read it.",
    ),
    "within_hour": ("1時間以内", "an hour"),
    "hours": ("{n}時間", "{n} hours"),
    "days": ("{n}日", "{n} days"),
}

URGENCY = {"high": ("高", "High"), "medium": ("中", "Medium"), "low": ("低", "Low")}
# English for the handoff policy's reason codes (the policy writes only Japanese, ``reason_ja``).
REASONS_EN = {
    "explicit-request": "You asked to talk to a person.",
    "dispute": "This looks like a dispute (a warning letter, a claim or a lawsuit): a patent attorney or lawyer "
    "should look at it.",
    "incident": "Something has actually happened (an infringement or a leak): a person should look at the facts.",
    "deadline": "There is a deadline: a person should look at it in time.",
    "legal-judgment": "Only a professional can judge your specific case.",
    "no-support": "Our sources do not cover this question, so a person should answer it.",
}


def language_of(text_or_code: str | None) -> str:
    """``en`` for an English message, ``ja`` for everything else (the app is Japanese-first)."""
    return "en" if text_or_code == "en" else "ja"


def t(key: str, lang: str | None = "ja", **values: Any) -> str:
    """The text ``key`` in ``lang`` (ja when unknown), with ``{placeholders}`` filled in."""
    ja, en = _LABELS[key]
    text = en if language_of(lang) == "en" else ja
    return text.format(**values) if values else text


def urgency(code: str | None, lang: str | None = "ja") -> str:
    ja, en = URGENCY.get(code or "", (code or "—", code or "—"))
    return en if language_of(lang) == "en" else ja


def reason(handoff: dict[str, Any], lang: str | None = "ja") -> str:
    """Why a person should take over, in ``lang`` when we have that reason in English, else the policy's Japanese."""
    if language_of(lang) == "en" and handoff.get("reason") in REASONS_EN:
        return REASONS_EN[handoff["reason"]]
    return handoff.get("reason_ja") or ""
