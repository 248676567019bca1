"""Every fixed text the assistant shows users, in Japanese and English, in one place.

The answer pipeline, the engines, the verifier (which must not mistake our own texts for a leaked prompt) and the
red team all read them from here, so none of them has to import another to learn what we say.
"""

from __future__ import annotations

from chizai.screening.instructions import REMOVED

DISCLAIMER = {
    "ja": "※ これは一般的な情報で、法的助言ではありません。個別の事案は専門家や相談窓口にご相談ください。",
    "en": "Note: this is general information, not legal advice. For your specific case, please consult an expert or a support window.",
}
REFUSALS = {
    "injection": {
        "ja": "申し訳ありませんが、その依頼にはお応えできません。知的財産に関するご質問であればお手伝いします。",
        "en": "Sorry, I can't do that. I'm happy to help with questions about intellectual property.",
    },
    "out-of-scope": {
        "ja": "申し訳ありませんが、知財フロントは知的財産（特許・商標・営業秘密・著作権・知財取引など）に関するご相談専用です。経営全般のご相談は、下の窓口をご利用ください。",
        "en": "Sorry, Chizai Frontline only answers questions about intellectual property (patents, trademarks, trade secrets, copyright, IP in business deals). For other business questions, please use the windows below.",
    },
    "no-support": {
        "ja": "ご質問の内容は、知財フロントの資料では確認できませんでした。推測でお答えすることは控えます。下の相談窓口で担当者にご相談ください。",
        "en": "The knowledge base does not cover this question, so I will not guess. Please ask a person at one of the windows below.",
    },
    "to-person": {
        "ja": "担当者へのご相談をご希望ですね。下の相談窓口から申し込めます。内容を書いていただければ、相談票にまとめてお渡しします。",
        "en": "You would like to talk to a person: you can apply at one of the windows below, and I will turn what you wrote into a consultation sheet for them.",
    },
    "smalltalk": {
        "ja": "知的財産（特許・商標・営業秘密・著作権・取引先との知財のやりとりなど）について、気になることをお気軽にどうぞ。",
        "en": "Ask me anything about intellectual property: patents, trademarks, trade secrets, copyright, IP in business deals.",
    },
    "with-person": {
        "ja": "このご相談は担当者に引き継がれています。担当者からの連絡をお待ちください。",
        "en": "A person is now handling this consultation; please wait for their reply.",
    },
}
NEXT_STEPS = {"ja": "次にできること", "en": "Next steps"}
CONFIDENTIAL_NOTICE = {
    "ja": "ご注意: 質問に個人情報や社外秘の技術情報らしき内容が含まれています。営業秘密はチャットに貼り付けないでください。",
    "en": "Careful: your message seems to contain personal data or confidential technical details. Please do not paste trade secrets into the chat.",
}
MODEL_FAILED = {
    "ja": "AI モデルからの応答が途中で途切れたため、資料の抜粋でお答えします。",
    "en": "The AI model stopped responding, so this answer quotes the documents instead.",
}
NOT_SENT_REMOTE = "外部のAIには送信せず、資料の抜粋でお答えします。 / Not sent to the remote model without consent."
# The extractive engine's first line for English questions (its quotes are Japanese), and its section labels.
LEAD = {
    "ja": "ご質問に関係する内容を、知財フロントの資料からまとめました。",
    "en": "Here is what the knowledge base says (the sources are in Japanese):",
}
CONCLUSION = {"ja": "**結論**", "en": "**In short**"}
POINTS = {"ja": "**ポイント**", "en": "**Key points**"}
URL_REMOVED = {"ja": "［外部リンク削除］", "en": "[link removed]"}


def fixed_texts() -> list[str]:
    """Everything above: texts an answer may carry that no passage contains and that are not model output."""
    texts = [REMOVED, NOT_SENT_REMOTE, *LEAD.values(), *DISCLAIMER.values(), *NEXT_STEPS.values()]
    texts += [*CONCLUSION.values(), *POINTS.values()]
    texts += [*CONFIDENTIAL_NOTICE.values(), *URL_REMOVED.values(), *MODEL_FAILED.values()]
    texts += [t for r in REFUSALS.values() for t in r.values()]
    return texts
