from ingest.normalize import normalize_text, page_quality, strip_page_furniture


def test_nfkc_turns_kangxi_radicals_into_normal_kanji():
    assert normalize_text("⽣成AIの⽇本") == "生成AIの日本"


def test_line_breaks_inside_japanese_sentences_are_joined_without_spaces():
    lines = [
        "交通費等の諸経費を下請代金に含めて支払うこととしている場合、3条書面には交",
        "通費等諸経費を含まない段階における下請代金の額と、交通費等の諸経費は親事業",
        "者が負担する旨を明記しなくてはならない。",
        "次の段落です。",
    ]
    text = normalize_text("\n".join(lines))
    assert "交通費等諸経費" in text and "親事業者が負担" in text
    assert text.splitlines()[0].endswith("明記しなくてはならない。")


def test_short_heading_line_is_not_glued_to_the_next_line():
    page = "\n".join(
        [
            "(1)振興法の基本的な考え方",
            "下請法又は下請振興法の適用対象となる取引を行う場合には、下請代金の支払は現金",
            "によることが原則である。加えて、下請振興法の振興基準では、少なくとも賃金に相",
            "当する分については、全額を現金で支払うこととされている。",
        ]
    )
    assert normalize_text(page).splitlines()[0] == "(1)振興法の基本的な考え方"


def test_spaces_between_single_cjk_characters_are_removed():
    assert normalize_text("営 業 秘 密 の 管 理") == "営業秘密の管理"


def test_private_use_bullets_become_plain_bullets():
    text = normalize_text("\uf0d8 交通費等の扱い\n\uf06c 単価の記載")
    assert "\uf0d8" not in text and "\uf06c" not in text
    assert text.splitlines()[0].startswith("・")


def test_running_headers_and_page_numbers_are_dropped():
    bodies = ["契約書を確認します。", "秘密を管理します。", "図面を渡しません。", "価格を交渉します。", "記録を残します。", "窓口に相談します。"]
    pages = [f"情報サービス産業ガイドライン\n{body}\n{i}" for i, body in enumerate(bodies, 1)]
    cleaned = strip_page_furniture(pages)
    assert all("情報サービス産業ガイドライン" not in p for p in cleaned)
    assert [p.strip() for p in cleaned] == bodies


def test_quality_gate_flags_empty_and_garbage_pages():
    assert page_quality("") == "empty"
    assert page_quality("꒢꒤꒦꒨꒪").startswith("garbage")
    assert page_quality("ABC ͍͋͏͓͑ 123").startswith("garbage")
    assert page_quality("営業秘密の三要件は秘密管理性、有用性、非公知性です。") is None
    assert page_quality("Hello ASCII 日本語テスト") is None
