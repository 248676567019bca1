"""Package fixture for the AppTest suite: a small index and an advisor in a temporary CHIZAI_DATA_DIR."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from chizai.settings import Settings, get_settings
from tests.assistant.ui.ui_index import ADVISOR, ADVISOR_PASSWORD, make_corpus, ui_env

CLEARED = (
    "CHIZAI_DATABASE_URL",
    "CHIZAI_LLM_BASE_URL",
    "CHIZAI_LLM_MODEL",
    "CHIZAI_CHROMA_URL",
    "CHIZAI_EMBEDDER",
)


@pytest.fixture(autouse=True)
def keep_main_module():
    """AppTest leaves its page script installed as ``__main__``; restore the real one.

    Otherwise every later ``multiprocessing`` spawn in the same pytest process re-runs that script in its child
    (an ``AppTest.from_function`` script fails there with a NameError).
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@dataclass
class UIData:
    root: Path
    settings: Settings
    report: object


@pytest.fixture(scope="package")  # package: the CHIZAI_* variables must not leak into other test folders
def ui_data(tmp_path_factory: pytest.TempPathFactory):
    from assistant.tickets import AdvisorAuth, TicketStore
    from ingest.pipeline import Ingestor

    root = tmp_path_factory.mktemp("ui")
    make_corpus(root)
    with pytest.MonkeyPatch.context() as mp:
        for name in CLEARED:
            mp.delenv(name, raising=False)
        for name, value in ui_env(root).items():
            mp.setenv(name, value)
        get_settings.cache_clear()
        settings = get_settings()
        ingestor = Ingestor(settings)
        try:
            report = ingestor.run()
        finally:
            ingestor.close()
        auth = AdvisorAuth(TicketStore(settings.resolved_database_url), rounds=4)
        auth.create_advisor(ADVISOR, ADVISOR_PASSWORD, display_name="山田 太郎")
        auth.create_advisor("sato", ADVISOR_PASSWORD, display_name="佐藤 花子", windows=["jetro"])
        yield UIData(root, settings, report)
    get_settings.cache_clear()
